//! [`Message`]: text built in a const context, so a shape check can fail at compile time with
//! plain decimal numbers.

/// Capacity of a [`Message`] in bytes; longer text is cut.
const CAPACITY: usize = 480;

/// A message built in a const context (no allocation, no `format!`).
#[derive(Clone, Copy)]
pub struct Message {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Message {
    /// An empty message.
    pub const fn new() -> Message {
        Message { buf: [0; CAPACITY], len: 0 }
    }

    /// Appends text.
    pub const fn str(mut self, s: &str) -> Message {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < CAPACITY {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends a number in decimal.
    pub const fn num(mut self, mut n: usize) -> Message {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < CAPACITY {
            count -= 1;
            self.buf[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// Appends a signed number in decimal (`-1`).
    pub const fn int(self, n: isize) -> Message {
        let m = if n < 0 { self.str("-") } else { self };
        m.num(n.unsigned_abs())
    }

    /// Appends dims as the `model!` syntax writes them: `[None, 64]`.
    pub const fn dims(mut self, dims: &[Option<usize>]) -> Message {
        self = self.str("[");
        let mut i = 0;
        while i < dims.len() {
            if i > 0 {
                self = self.str(", ");
            }
            self = match dims[i] {
                Some(d) => self.num(d),
                None => self.str("None"),
            };
            i += 1;
        }
        self.str("]")
    }

    /// Appends another message.
    pub const fn append(self, other: &Message) -> Message {
        self.str(other.as_str())
    }

    /// The text so far.
    pub const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            // Only reachable if a multi-byte character was cut at CAPACITY.
            Err(_) => "shape check failed (message too long to show)",
        }
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

impl core::fmt::Debug for Message {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Display for Message {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dims_and_cutting() {
        assert_eq!(Message::new().num(0).num(1234567).as_str(), "01234567");
        assert_eq!(Message::new().int(-3).str(" ").int(0).str(" ").int(42).as_str(), "-3 0 42");
        assert_eq!(Message::new().dims(&[None, Some(64)]).as_str(), "[None, 64]");
        let mut m = Message::new();
        for _ in 0..100 {
            m = m.str("abcdefgh");
        }
        assert_eq!(m.as_str().len(), CAPACITY);
    }
}
