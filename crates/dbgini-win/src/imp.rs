//! The Windows implementation (see the crate docs).

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Foundation::{ERROR_IO_PENDING, ERROR_LOCK_VIOLATION};
use windows_sys::Win32::Storage::FileSystem::{
    LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx,
};
use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_0_0};

use windows_sys::Win32::Foundation::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, GetFileSecurityW, PSECURITY_DESCRIPTOR, SetFileSecurityW,
};

/// `s` as a NUL-terminated UTF-16 string; a NUL inside is an error (Windows would cut the name
/// there and act on another file).
fn wide(s: &OsStr) -> io::Result<Vec<u16>> {
    let mut w: Vec<u16> = s.encode_wide().collect();
    if w.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a name with a NUL character",
        ));
    }
    w.push(0);
    Ok(w)
}

/// The security descriptor of `path` with its DACL, self-relative, in a buffer aligned for it;
/// `None` where the file system keeps no ACLs (FAT, some network shares).
fn get_dacl(path: &Path) -> io::Result<Option<Vec<u64>>> {
    let name = wide(path.as_os_str())?;
    let mut needed = 0u32;
    // SAFETY: `name` is NUL-terminated and outlives the call; a null buffer of length 0 is
    // allowed and only asks for the size, written to `needed`.
    let ok = unsafe {
        GetFileSecurityW(
            name.as_ptr(),
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            0,
            &mut needed,
        )
    };
    if ok == 0 {
        let e = io::Error::last_os_error();
        match e.raw_os_error().map(|c| c as u32) {
            Some(ERROR_INSUFFICIENT_BUFFER) => {}
            Some(ERROR_NOT_SUPPORTED | ERROR_INVALID_FUNCTION) => return Ok(None),
            _ => return Err(e),
        }
    }
    let mut buf = vec![0u64; (needed as usize).div_ceil(8).max(1)];
    let len = u32::try_from(buf.len() * 8).map_err(|_| io::Error::other("descriptor too large"))?;
    // SAFETY: `buf` is writable for `len` bytes and 8-byte aligned (more than a security
    // descriptor needs); `name` is NUL-terminated.
    let ok = unsafe {
        GetFileSecurityW(
            name.as_ptr(),
            DACL_SECURITY_INFORMATION,
            buf.as_mut_ptr().cast(),
            len,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(buf))
}

/// Gives `to` the DACL of `from` (its explicit entries, the inherited ones as they are now, and
/// whether inheritance is blocked), so a file that replaces `from` by a rename keeps who may
/// read and write it. Returns `false`, changing nothing, where the file system keeps no ACLs.
/// The owner is not copied (that needs a privilege Administrators do not hold by default): the
/// new file belongs to whoever runs dbgini, as any file they save.
pub fn copy_dacl(from: &Path, to: &Path) -> io::Result<bool> {
    let Some(mut sd) = get_dacl(from)? else {
        return Ok(false);
    };
    let name = wide(to.as_os_str())?;
    // SAFETY: `sd` holds the self-relative security descriptor GetFileSecurityW wrote and lives
    // through the call; `name` is NUL-terminated.
    let ok = unsafe {
        SetFileSecurityW(
            name.as_ptr(),
            DACL_SECURITY_INFORMATION,
            sd.as_mut_ptr().cast(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(true)
}

/// The DACL of `path` in the Security Descriptor Definition Language (`D:P(A;;FA;;;SY)...`),
/// for messages and tests.
pub fn dacl_sddl(path: &Path) -> io::Result<String> {
    let Some(mut sd) = get_dacl(path)? else {
        return Ok(String::new());
    };
    let mut text: *mut u16 = std::ptr::null_mut();
    let mut len = 0u32;
    // SAFETY: `sd` is a valid self-relative descriptor (see get_dacl); on success the function
    // allocates `text` with LocalAlloc, holding `len` UTF-16 units and a NUL, freed below.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd.as_mut_ptr().cast(),
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &mut text,
            &mut len,
        )
    };
    if ok == 0 || text.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `text` points at `len` initialised units (the count may include the NUL, which is
    // trimmed below); it is freed once copied.
    let units = unsafe { std::slice::from_raw_parts(text, len as usize) }.to_vec();
    // SAFETY: `text` came from LocalAlloc inside the conversion and is freed once.
    unsafe { LocalFree(text.cast()) };
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    Ok(String::from_utf16_lossy(&units[..end]))
}

/// Sets the DACL of `path` from SDDL text (`D:P(A;;FA;;;SY)(A;;FR;;;BU)`): what an admin does
/// with icacls; dbgini's tests use it to give notes.ini an ACL of its own.
pub fn set_dacl_sddl(path: &Path, sddl: &str) -> io::Result<()> {
    let text = wide(OsStr::new(sddl))?;
    let name = wide(path.as_os_str())?;
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `text` is NUL-terminated; on success `sd` is allocated with LocalAlloc and freed
    // below; the size is not asked for (null).
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 || sd.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `sd` is the descriptor just made; `name` is NUL-terminated.
    let ok = unsafe { SetFileSecurityW(name.as_ptr(), DACL_SECURITY_INFORMATION, sd) };
    let result = if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    };
    // SAFETY: allocated by the conversion above, freed once.
    unsafe { LocalFree(sd) };
    result
}

/// Where [`try_lock_past_end`] locks: byte 2^62, past the end of any file dbgini writes (a lock
/// may lie past the end of a file; it protects nothing that is there).
const LOCK_AT: u64 = 1 << 62;

/// Takes an exclusive lock on one byte of `file` far past its end, without waiting: `Ok(true)`
/// when taken, `Ok(false)` when another handle holds it. It is released when the handle is
/// closed. Unlike a lock on the whole file, it blocks no read or write of what the file holds.
pub fn try_lock_past_end(file: &File) -> io::Result<bool> {
    let mut at = OVERLAPPED::default();
    at.Anonymous.Anonymous = OVERLAPPED_0_0 {
        Offset: LOCK_AT as u32,
        OffsetHigh: (LOCK_AT >> 32) as u32,
    };
    // SAFETY: the handle belongs to `file`, which outlives the call; `at` is a valid OVERLAPPED
    // naming the offset, and with LOCKFILE_FAIL_IMMEDIATELY on a handle opened for synchronous
    // I/O (as std opens files) the call completes before it returns, so `at` is not used after.
    let ok = unsafe {
        LockFileEx(
            file.as_raw_handle(),
            LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
            0,
            1,
            0,
            &mut at,
        )
    };
    if ok != 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error().map(|c| c as u32) {
        Some(ERROR_LOCK_VIOLATION | ERROR_IO_PENDING) => Ok(false),
        _ => Err(e),
    }
}
