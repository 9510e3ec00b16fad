// The catalogue is compiled into the binary; a changed or added .ftl file rebuilds it.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
