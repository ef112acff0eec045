//! [`Logs`]: named values of one epoch (`loss`, metrics, then `val_*`), in Keras's order.

/// Named values, in insertion order: `loss`, each metric, then `val_loss`, `val_<metric>`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
}

impl Logs {
    /// Empty logs.
    pub fn new() -> Self {
        Logs::default()
    }

    /// Sets `name` to `value`, keeping the position of an existing entry.
    pub fn set(&mut self, name: &str, value: f64) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// The value of `name`, if logged.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Every entry in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// Whether nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_overwrites() {
        let mut logs = Logs::new();
        logs.set("loss", 1.0);
        logs.set("accuracy", 0.5);
        logs.set("loss", 0.9);
        assert_eq!(logs.iter().collect::<Vec<_>>(), [("loss", 0.9), ("accuracy", 0.5)]);
        assert_eq!(logs.get("val_loss"), None);
    }
}
