//! Where the CLI keeps its journal: the same file as the app, in its data folder.

use astro_identity_cloud::HostEnv;
use astro_identity_cloud::journal::Journal;

pub fn journal() -> Journal {
    Journal::in_dir(&HostEnv::from_process().app_data_dir())
}
