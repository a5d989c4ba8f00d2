fn main() {
    astro_identity_app::run();
}
