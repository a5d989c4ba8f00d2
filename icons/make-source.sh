#!/bin/sh
# Draws icons/source.png (1024x1024), the one image every app icon is generated from
# (`make icons` runs `tauri icon` on it). Needs ImageMagick's /usr/bin/convert.
set -eu
cd "$(dirname "$0")"
/usr/bin/convert -size 1024x1024 gradient:'#5B4CF0-#2A1B8F' \
  \( -size 1024x1024 xc:none -fill white -draw "roundrectangle 64,64 960,960 200,200" \) \
  -compose DstIn -composite -compose Over \
  -fill none -stroke 'rgba(255,255,255,0.55)' -strokewidth 36 \
  -draw "translate 512,520 rotate -24 ellipse 0,0 360,150 0,360" \
  -stroke none -fill white \
  -draw "circle 512,430 512,300" \
  -draw "polygon 452,470 572,470 620,760 404,760" \
  -fill '#3B2DBF' -draw "circle 512,430 512,385" \
  -fill '#FFD166' -draw "circle 812,330 812,282" \
  source.png
