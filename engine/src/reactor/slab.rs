//! The table of running children: slots reused as children come and go
//! (a slot is part of each poller key), and an index by child id.

use std::collections::HashMap;

use crate::ChildId;

/// Values in reusable slots, found by slot or by child id.
#[derive(Debug)]
pub(super) struct Slab<T> {
    slots: Vec<Option<(ChildId, T)>>,
    free: Vec<usize>,
    by_id: HashMap<ChildId, usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
        }
    }
}

impl<T> Slab<T> {
    /// A free slot, kept for the caller until it [`insert`](Self::insert)s
    /// there or [`release`](Self::release)s it.
    pub(crate) fn vacant(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        })
    }

    /// Gives back a slot from [`vacant`](Self::vacant) left unused.
    pub(crate) fn release(&mut self, slot: usize) {
        self.free.push(slot);
    }

    /// Puts `value` for `id` in `slot`, from [`vacant`](Self::vacant).
    pub(crate) fn insert(&mut self, slot: usize, id: ChildId, value: T) {
        self.by_id.insert(id, slot);
        self.slots[slot] = Some((id, value));
    }

    /// Takes the value out of `slot`, which becomes free.
    pub(crate) fn remove(&mut self, slot: usize) -> Option<T> {
        let (id, value) = self.slots.get_mut(slot)?.take()?;
        self.by_id.remove(&id);
        self.free.push(slot);
        Some(value)
    }

    /// The value in `slot`.
    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut T> {
        self.slots.get_mut(slot)?.as_mut().map(|(_, value)| value)
    }

    /// The slot of `id`.
    pub(crate) fn slot(&self, id: ChildId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// The value of `id`.
    pub(crate) fn by_id_mut(&mut self, id: ChildId) -> Option<&mut T> {
        let slot = self.slot(id)?;
        self.get_mut(slot)
    }

    /// The slot of `id`, if `id` is in it.
    pub(crate) fn holds(&self, slot: usize, id: ChildId) -> bool {
        self.by_id.get(&id) == Some(&slot)
    }

    /// How many values there are.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// The slots in use, lowest first.
    pub(crate) fn occupied(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&slot| self.slots[slot].is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_ids_follow_their_slot() {
        let mut slab = Slab::default();
        let a = slab.vacant();
        slab.insert(a, ChildId(1), "a");
        let b = slab.vacant();
        slab.insert(b, ChildId(2), "b");
        assert_ne!(a, b);
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        assert!(!slab.holds(a, ChildId(1)));
        let c = slab.vacant();
        assert_eq!(c, a, "a freed slot is reused");
        slab.insert(c, ChildId(3), "c");
        assert_eq!(slab.by_id_mut(ChildId(3)), Some(&mut "c"));
        assert_eq!(slab.by_id_mut(ChildId(1)), None);
        assert!(slab.holds(b, ChildId(2)));
        assert_eq!(slab.occupied(), [a, b]);
    }

    #[test]
    fn a_released_slot_is_handed_out_again() {
        let mut slab: Slab<()> = Slab::default();
        let a = slab.vacant();
        slab.release(a);
        assert_eq!(slab.vacant(), a);
        assert_eq!(slab.len(), 0);
        assert_eq!(slab.get_mut(a), None);
        assert_eq!(slab.get_mut(99), None);
    }
}
