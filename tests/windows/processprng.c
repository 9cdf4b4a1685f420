/*
 * A test shim, not shipped: Wine 8 (Debian 12) has no ProcessPrng in bcryptprimitives.dll,
 * which the Rust standard library imports since 1.78 for its random numbers (HashMap keys,
 * temp file names), so a Rust program does not even start under it. This DLL exports
 * ProcessPrng and forwards to RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 * .ci/run builds it with mingw-w64 and puts it in the Wine prefix (tests/windows/wine.sh).
 * Real Windows (8 and later) has ProcessPrng; dbgini never uses this shim there.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
