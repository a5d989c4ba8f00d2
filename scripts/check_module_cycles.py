"""Fails when a crate's modules import each other in a circle (file-level `use crate::…` /
`super::…` edges, comments and test modules left out). `make lint` runs it on every crate:
imports must only point down."""
import re, os, sys
def modpath(root, f):
    rel=os.path.relpath(f, root)[:-3]
    parts=rel.split('/')
    if parts[-1] in ('mod','lib','main'): parts=parts[:-1]
    return parts
def scan(root):
    files={}
    for d,_,fs in os.walk(root):
        for f in fs:
            if f.endswith('.rs'):
                p=os.path.join(d,f); files[tuple(modpath(root,p))]=p
    edges={}
    for mod,p in files.items():
        src=open(p).read()
        # strip cfg(test) modules roughly: cut at '#[cfg(test)]\nmod tests {'
        k=src.find('#[cfg(test)]\nmod tests')
        if k>=0: src=src[:k]
        src='\n'.join(l for l in src.split('\n') if not l.strip().startswith('//'))
        deps=set()
        for m in re.finditer(r'(?:use\s+|[^:\w])crate::((?:\w+::)*\w+)', src):
            path=m.group(1).split('::')
            # longest prefix that is a file module
            for n in range(len(path),0,-1):
                if tuple(path[:n]) in files: deps.add(tuple(path[:n])); break
        for m in re.finditer(r'super::((?:\w+::)*\w+)', src):
            base=list(mod[:-1]) if not p.endswith(('mod.rs','lib.rs')) else list(mod[:-1])
            path=base+m.group(1).split('::')
            for n in range(len(path),0,-1):
                if tuple(path[:n]) in files: deps.add(tuple(path[:n])); break
        deps.discard(mod)
        # a parent module re-exporting its child is not a circle edge we care about? keep all
        edges[mod]=deps
    return files,edges
def cycles(edges):
    # Tarjan SCC
    index={};low={};st=[];on=set();res=[];i=[0]
    sys.setrecursionlimit(10000)
    def sc(v):
        index[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
        for w in edges.get(v,()):
            if w not in index: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],index[w])
        if low[v]==index[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v:break
            if len(comp)>1: res.append(comp)
    for v in edges:
        if v not in index: sc(v)
    return res
found = False
for root in sys.argv[1:]:
    files,edges=scan(root)
    for c in cycles(edges):
        found = True
        print(f"{root}: modules import each other in a circle:")
        for a in c:
            print('  ', '/'.join(a) or 'lib', '->', ', '.join('/'.join(b) or 'lib' for b in edges[a] if b in c))
sys.exit(1 if found else 0)
