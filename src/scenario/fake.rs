//! Realistic generated people from a seed (the `fake` crate), so reruns
//! produce the same names, phones and e-mails.

use fake::faker::internet::en::SafeEmail;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

pub fn person(seed: u64) -> Value {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first: String = FirstName().fake_with_rng(&mut rng);
    let last: String = LastName().fake_with_rng(&mut rng);
    let email: String = SafeEmail().fake_with_rng(&mut rng);
    let phone = format!(
        "+1{}{:07}",
        rng.gen_range(201..=989),
        rng.gen_range(0..10_000_000)
    );
    let id = format!("user-{:08x}", rng.gen::<u32>());
    json!({"name": format!("{first} {last}"), "first_name": first, "last_name": last, "email": email.to_lowercase(), "phone": phone, "id": id})
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_for_a_seed() {
        let a = super::person(7);
        assert_eq!(a, super::person(7));
        assert_ne!(a, super::person(8));
        assert!(a["phone"].as_str().unwrap().starts_with("+1"));
        assert!(a["email"].as_str().unwrap().contains('@'));
    }
}
