//! Poller keys: which child's slot, and what in it, a readiness event is
//! for.

use crate::base::id::Output;

/// What in a child's slot a registration is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Its stdin pipe (writable).
    Stdin,
    /// One of its output pipes (readable).
    Output(Output),
    /// Its exit watch (readable once it has exited).
    Exit,
}

/// The key a descriptor is registered under: a slot of the reactor's
/// table of running children and a [`Target`] in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) slot: usize,
    pub(crate) target: Target,
}

/// Bits for the target, below the slot.
const TARGET_BITS: u32 = 2;

impl Key {
    pub(crate) fn new(slot: usize, target: Target) -> Key {
        Key { slot, target }
    }

    /// The number given to the poller. Slots stay far below `2^62` (one a
    /// running child), so the encoding never collides with the poller's
    /// own keys at the top of the range.
    pub(crate) fn encode(self) -> u64 {
        let target = match self.target {
            Target::Stdin => 0,
            Target::Output(Output::Stdout) => 1,
            Target::Output(Output::Stderr) => 2,
            Target::Exit => 3,
        };
        (self.slot as u64) << TARGET_BITS | target
    }

    /// The key a number from the poller stands for.
    pub(crate) fn decode(raw: u64) -> Key {
        let target = match raw & ((1 << TARGET_BITS) - 1) {
            0 => Target::Stdin,
            1 => Target::Output(Output::Stdout),
            2 => Target::Output(Output::Stderr),
            _ => Target::Exit,
        };
        Key {
            slot: (raw >> TARGET_BITS) as usize,
            target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGETS: [Target; 4] = [
        Target::Stdin,
        Target::Output(Output::Stdout),
        Target::Output(Output::Stderr),
        Target::Exit,
    ];

    #[test]
    fn every_key_decodes_to_itself() {
        for slot in [0, 1, 2, 3, 1000, (1 << 40) + 7] {
            for target in TARGETS {
                let key = Key::new(slot, target);
                assert_eq!(Key::decode(key.encode()), key);
            }
        }
    }

    #[test]
    fn keys_of_different_slots_or_targets_differ() {
        let mut seen = std::collections::HashSet::new();
        for slot in 0..64 {
            for target in TARGETS {
                assert!(seen.insert(Key::new(slot, target).encode()));
            }
        }
    }
}
