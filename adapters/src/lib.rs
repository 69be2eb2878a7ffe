//! procpump-adapters (skeleton)
