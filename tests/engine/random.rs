//! The random_* types through the binary.

use crate::common::*;

#[test]
fn random_values_are_stable_secret_and_keepers_replace() {
    let s = Stack::new("random");
    let plan = s.run(&["plan"]).expect(0);
    assert!(plan.stdout.contains("Plan: 3 to add"), "{}", plan.stdout);
    let apply = s.apply_ok(&[]);
    let st = s.state();
    let password = attr(&st, "random_password.p", "result").as_str().expect("password result").to_string();
    assert_eq!(password.chars().count(), 24);
    let pet = attr(&st, "random_pet.pet", "id").as_str().expect("pet id").to_string();
    let rid = attr(&st, "random_id.id", "id").as_str().expect("random id").to_string();
    assert!(apply.stdout.contains(&format!("pet = \"{pet}\"")), "{}", apply.stdout);
    assert!(!apply.all().contains(&password), "password in apply output:\n{}", apply.all());

    let r = s.run(&["plan", "-detailed-exitcode"]).expect(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert!(!r.all().contains(&password));
    let r = s.run(&["show"]).expect(0);
    assert!(r.stdout.contains("random_password"), "{}", r.stdout);
    assert!(!r.all().contains(&password), "password in show output:\n{}", r.all());
    let r = s.run(&["show", "-json"]).expect(0);
    assert!(!r.all().contains(&password), "password in show -json output");
    let r = s.run(&["state", "show", "random_password.p"]).expect(0);
    assert!(!r.all().contains(&password), "password in state show output:\n{}", r.all());
    s.apply_ok(&[]);
    let st2 = s.state();
    assert_eq!(attr(&st2, "random_pet.pet", "id"), pet.as_str());
    assert_eq!(attr(&st2, "random_id.id", "id"), rid.as_str());
    assert_eq!(attr(&st2, "random_password.p", "result"), password.as_str());

    let r = s.run(&["plan", "-var=k=2"]).expect(0);
    assert!(r.stdout.contains("# random_id.id must be replaced"), "{}", r.stdout);
    assert!(r.stdout.contains("1 to replace"), "{}", r.stdout);
    assert!(!r.stdout.contains("random_pet.pet must"), "{}", r.stdout);
    let r = s.apply_ok(&["-var=k=2"]);
    assert!(!r.all().contains(&password));
    assert_ne!(attr(&s.state(), "random_id.id", "id"), rid.as_str());
    assert_eq!(attr(&s.state(), "random_password.p", "result"), password.as_str());
}
