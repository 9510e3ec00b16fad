#[test]
fn both_backends_hold_the_same_migration_versions() {
    let (sqlite, postgres) = beredskap_store::migration_versions();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}
