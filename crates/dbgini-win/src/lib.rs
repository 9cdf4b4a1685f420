//! The few Windows calls dbgini needs that the standard library lacks, behind a safe API. dbgini
//! itself forbids unsafe code; this crate is the one place where it is allowed, and only for
//! these calls (each `unsafe` block says why it is sound).
//!
//! Why: dbgini replaces notes.ini by writing a temp file beside it and renaming it over the
//! original (`MoveFileExW`), so a reader sees the old file or the new one, never half of one. A
//! new file gets the directory's inherited ACL, not the one notes.ini had: an ACL set on
//! notes.ini itself (say, the Domino service account may write it, or a group may read it)
//! would be lost. [`copy_dacl`] gives the temp file notes.ini's DACL before the rename.
//!
//! Windows locks are mandatory: `std::fs::File::lock` locks every byte of the file, so no other
//! handle, not even one of the same process, may read it while the lock is held, and a dbgini
//! that waits could not read the line naming the holder. [`try_lock_past_end`] locks one byte
//! far past the end instead, which excludes every other dbgini just the same.
//!
//! On other systems the crate is empty.

#[cfg(windows)]
mod imp;
#[cfg(windows)]
pub use imp::{copy_dacl, dacl_sddl, set_dacl_sddl, try_lock_past_end};
