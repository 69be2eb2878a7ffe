//! A byte ring buffer that keeps the last `capacity` bytes pushed into it,
//! for [`Tail`](crate::Tail) and [`HeadTail`](crate::HeadTail).

/// The last `capacity` bytes pushed. Memory grows with what is pushed, up
/// to `capacity`, never beyond.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ring {
    buf: Vec<u8>,
    /// Where the oldest byte is, once the buffer is full.
    start: usize,
    capacity: usize,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Ring {
        Ring {
            buf: Vec::new(),
            start: 0,
            capacity,
        }
    }

    /// Bytes kept.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Pushes `bytes`, dropping the oldest ones past the capacity.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let bytes = &bytes[bytes.len().saturating_sub(self.capacity)..];
        let room = self.capacity - self.buf.len();
        let (fill, wrap) = bytes.split_at(room.min(bytes.len()));
        if !fill.is_empty() {
            let target = (self.buf.len() + fill.len())
                .max(self.buf.capacity() * 2)
                .min(self.capacity);
            self.buf.reserve_exact(target - self.buf.len());
            self.buf.extend_from_slice(fill);
        }
        // The buffer is full: overwrite from the oldest byte on.
        let mut wrap = wrap;
        while !wrap.is_empty() {
            let n = (self.capacity - self.start).min(wrap.len());
            self.buf[self.start..self.start + n].copy_from_slice(&wrap[..n]);
            self.start = (self.start + n) % self.capacity;
            wrap = &wrap[n..];
        }
    }

    /// The kept bytes, oldest first, in two parts.
    pub(crate) fn as_slices(&self) -> (&[u8], &[u8]) {
        let (newer, older) = self.buf.split_at(self.start);
        (older, newer)
    }

    /// The kept bytes, oldest first, in one piece.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let (older, newer) = self.as_slices();
        [older, newer].concat()
    }

    /// The kept bytes, oldest first, reusing the buffer.
    pub(crate) fn into_vec(mut self) -> Vec<u8> {
        self.buf.rotate_left(self.start);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes() {
        let mut ring = Ring::new(5);
        ring.push(b"ab");
        assert_eq!(ring.to_vec(), b"ab");
        ring.push(b"cdef");
        assert_eq!(ring.to_vec(), b"bcdef");
        ring.push(b"g");
        assert_eq!(ring.to_vec(), b"cdefg");
        ring.push(b"0123456789");
        assert_eq!(ring.clone().into_vec(), b"56789");
        assert_eq!(ring.len(), 5);
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let mut ring = Ring::new(0);
        ring.push(b"abc");
        assert_eq!(ring.to_vec(), b"");
    }
}
