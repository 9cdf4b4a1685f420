/*
 * Holds a file open the way a running Domino server may (issue 15): reading, sharing read and
 * write but not delete, so that nothing can rename another file over it (MoveFileEx fails with
 * ERROR_SHARING_VIOLATION) until this program ends. Prints "open" once it holds the file, then
 * waits to be killed. Built with mingw-w64 by tests/windows/smoke.sh:
 *   x86_64-w64-mingw32-gcc -municode -O2 -o holdopen.exe holdopen.c
 * Usage: holdopen.exe FILE
 */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: holdopen.exe FILE\n");
        return 2;
    }
    HANDLE h = CreateFileW(argv[1], GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "holdopen: cannot open the file (error %lu)\n", GetLastError());
        return 1;
    }
    printf("open\n");
    fflush(stdout);
    Sleep(INFINITE);
    CloseHandle(h);
    return 0;
}
