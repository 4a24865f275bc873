/*
 * What execve does for an ELF program, done by the stub for the verified cache entry it holds open
 * (docs/binpress-format.md, "In place"). Segments are mapped from that descriptor, so clean pages
 * are the page cache's and shared by every process running the program; anything this loader does
 * not understand is refused before the first mapping is kept, and the caller execs instead.
 */
#define _GNU_SOURCE
#include "inplace.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <dlfcn.h>
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#endif

static ElfW(auxv_t) *kernel_auxv;

void btm_inplace_init(char **envp) {
  while (*envp) envp++;
  kernel_auxv = (ElfW(auxv_t) *)(envp + 1);
}

#ifdef HOST_MACHINE

static uintptr_t aux(unsigned long type) {
  for (ElfW(auxv_t) *a = kernel_auxv; a && a->a_type != AT_NULL; a++)
    if (a->a_type == type) return a->a_un.a_val;
  return 0;
}

typedef struct {
  uintptr_t base; /* the reservation holding every segment, unmapped whole on failure */
  size_t span;
  uintptr_t bias, entry, phdr;
  size_t phnum;
  char interp[PATH_MAX];
} image;

#define FAIL(...)                          \
  do {                                     \
    snprintf(why, why_size, __VA_ARGS__);  \
    return BTM_INPLACE_UNSUPPORTED;        \
  } while (0)

static int prot_of(uint32_t flags) {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

static void unmap(image *img) {
  if (img->span) munmap((void *)img->base, img->span);
  img->span = 0;
}

/*
 * Maps one ELF file as the kernel's binfmt_elf would; the interpreter path is read for the program.
 * file_size is the program's (0 for the interpreter): bytes past the end of its ELF image are a
 * payload appended to it (a .NET single-file bundle, PyInstaller, Bun, Deno, AppImage), which its
 * code reads back through /proc/self/exe, so in place it would read the packed file instead.
 */
static btm_inplace_status map_elf(int fd, const char *what, uint64_t file_size, image *img, char *why, size_t why_size) {
  const int is_interp = file_size == 0;
  const uintptr_t page = aux(AT_PAGESZ) ? aux(AT_PAGESZ) : 4096;
  ElfW(Ehdr) eh;
  ElfW(Phdr) ph[64];
  memset(img, 0, sizeof *img);
  if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    FAIL("%s is not an ELF file", what);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != HOST_MACHINE)
    FAIL("%s is for another machine (class %d, machine %d)", what, eh.e_ident[EI_CLASS], eh.e_machine);
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) FAIL("%s is ELF type %d, not an executable", what, eh.e_type);
  if (eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 || eh.e_phnum > 64)
    FAIL("%s has %d program headers of %d bytes", what, eh.e_phnum, eh.e_phentsize);
  size_t phsize = (size_t)eh.e_phnum * sizeof(ElfW(Phdr));
  if (pread(fd, ph, phsize, (off_t)eh.e_phoff) != (ssize_t)phsize) FAIL("%s: its program headers are cut short", what);

  uint64_t image_end = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
  if (eh.e_phoff + phsize > image_end) image_end = eh.e_phoff + phsize;
  uintptr_t lo = UINTPTR_MAX, hi = 0, align = page, phdr_vaddr = 0, last_end = 0;
  int loads = 0, have_phdr = 0;
  for (int i = 0; i < eh.e_phnum; i++) {
    const ElfW(Phdr) *p = &ph[i];
    if (p->p_offset + p->p_filesz > image_end) image_end = p->p_offset + p->p_filesz;
    if (p->p_type == PT_LOAD) {
      if (p->p_memsz == 0) continue;
      if (p->p_filesz > p->p_memsz || (p->p_vaddr - p->p_offset) % page != 0 || p->p_vaddr < last_end ||
          p->p_vaddr + p->p_memsz < p->p_vaddr)
        FAIL("%s: segment %d is laid out in a way the kernel would refuse", what, i);
      if (p->p_align > align && (p->p_align & (p->p_align - 1)) == 0 && p->p_align <= (UINT64_C(1) << 30)) align = p->p_align;
      if (loads++ == 0) lo = p->p_vaddr & ~(page - 1);
      last_end = p->p_vaddr + p->p_memsz;
      hi = (last_end + page - 1) & ~(page - 1);
      if (eh.e_phoff >= p->p_offset && eh.e_phoff + phsize <= p->p_offset + p->p_filesz && !have_phdr)
        phdr_vaddr = p->p_vaddr + (eh.e_phoff - p->p_offset);
    } else if (p->p_type == PT_PHDR) {
      phdr_vaddr = p->p_vaddr;
      have_phdr = 1;
    } else if (p->p_type == PT_INTERP && !is_interp) {
      if (p->p_filesz < 2 || p->p_filesz > sizeof img->interp || pread(fd, img->interp, p->p_filesz, (off_t)p->p_offset) != (ssize_t)p->p_filesz ||
          img->interp[p->p_filesz - 1] != '\0')
        FAIL("%s: its interpreter path is damaged", what);
    } else if (p->p_type == PT_INTERP) {
      FAIL("%s: an interpreter that names another interpreter", what);
    } else if (p->p_type == PT_GNU_STACK && (p->p_flags & PF_X)) {
      FAIL("%s asks for an executable stack", what);
    }
  }
  if (loads == 0) FAIL("%s has nothing to load", what);
  if (!is_interp && file_size > image_end)
    FAIL("%s carries %llu bytes after its ELF image, a payload its own code may read back through /proc/self/exe", what,
         (unsigned long long)(file_size - image_end));
  if (!is_interp && phdr_vaddr == 0) FAIL("%s does not load its own program headers", what);

  /* One reservation holds the image: a position-dependent program at its own addresses (refused if
   * anything is there already, the stub included), any other where the kernel puts it, aligned. */
  size_t span = hi - lo;
  if (eh.e_type == ET_EXEC) {
    void *at = mmap((void *)lo, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (at == MAP_FAILED) FAIL("%s: its fixed addresses %#lx-%#lx are taken (%s)", what, (unsigned long)lo, (unsigned long)hi, strerror(errno));
    if ((uintptr_t)at != lo) {
      munmap(at, span);
      FAIL("%s: its fixed addresses %#lx-%#lx are taken", what, (unsigned long)lo, (unsigned long)hi);
    }
    img->base = lo;
    img->span = span;
  } else {
    size_t extra = align > page ? align - page : 0;
    void *at = mmap(NULL, span + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED) FAIL("%s: no room for %zu bytes (%s)", what, span, strerror(errno));
    uintptr_t base = ((uintptr_t)at + align - 1) & ~(align - 1);
    if (base > (uintptr_t)at) munmap(at, base - (uintptr_t)at);
    if ((uintptr_t)at + span + extra > base + span) munmap((void *)(base + span), (uintptr_t)at + span + extra - (base + span));
    img->base = base;
    img->span = span;
    img->bias = base - lo;
  }

  for (int i = 0; i < eh.e_phnum; i++) {
    const ElfW(Phdr) *p = &ph[i];
    if (p->p_type != PT_LOAD || p->p_memsz == 0) continue;
    int prot = prot_of(p->p_flags);
    uintptr_t start = img->bias + p->p_vaddr, map_start = start & ~(page - 1);
    uintptr_t file_end = start + p->p_filesz, mem_end = start + p->p_memsz;
    uintptr_t anon_start = (file_end + page - 1) & ~(page - 1), anon_end = (mem_end + page - 1) & ~(page - 1);
    if (p->p_filesz > 0) {
      if (mmap((void *)map_start, file_end - map_start, prot, MAP_PRIVATE | MAP_FIXED, fd, (off_t)(p->p_offset & ~(page - 1))) == MAP_FAILED) {
        int err = errno;
        unmap(img);
        if ((err == EPERM || err == EACCES) && (prot & PROT_EXEC)) {
          snprintf(why, why_size, "%s: %s", what, strerror(err));
          return BTM_INPLACE_NOEXEC;
        }
        FAIL("%s: the kernel refused to map segment %d (%s)", what, i, strerror(err));
      }
      /* The file's next bytes share the last page; the kernel zeroes them where bss begins. */
      if (p->p_memsz > p->p_filesz && (file_end & (page - 1))) {
        uintptr_t tail = file_end & ~(page - 1);
        if (!(prot & PROT_WRITE)) mprotect((void *)tail, page, prot | PROT_WRITE);
        memset((void *)file_end, 0, page - (file_end & (page - 1)));
        if (!(prot & PROT_WRITE)) mprotect((void *)tail, page, prot);
      }
    } else {
      anon_start = map_start;
    }
    if (anon_end > anon_start &&
        mmap((void *)anon_start, anon_end - anon_start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
      int err = errno;
      unmap(img);
      FAIL("%s: no memory for segment %d (%s)", what, i, strerror(err));
    }
  }
  img->entry = img->bias + eh.e_entry;
  img->phdr = img->bias + phdr_vaddr;
  img->phnum = eh.e_phnum;
  return 0;
}

/*
 * The stub's C library registered a restartable-sequence area for this thread; the program's will
 * want to register its own, and the kernel allows one per thread. Nothing is lost if this fails:
 * glibc then runs without rseq.
 */
static void release_rseq(void) {
#if defined(__GLIBC__) && defined(SYS_rseq)
  const ptrdiff_t *offset = dlsym(RTLD_DEFAULT, "__rseq_offset");
  const unsigned int *size = dlsym(RTLD_DEFAULT, "__rseq_size");
  if (!offset || !size || *size == 0) return;
  uintptr_t tp;
#if defined(__x86_64__)
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  const uint32_t sig = 0x53053053;
#else
  __asm__("mrs %0, tpidr_el0" : "=r"(tp));
  const uint32_t sig = 0xd428bc00;
#endif
  void *area = (void *)(tp + *offset);
  if (syscall(SYS_rseq, area, *size, 1, sig) != 0 && *size < 32) syscall(SYS_rseq, area, 32, 1, sig);
#endif
}

/*
 * The kernel's initial stack is still there above the stub's frames: argc, argv, envp, the
 * auxiliary vector and the strings they point to. The program gets that very stack, its auxiliary
 * vector rewritten in place, so nothing is copied, the main thread keeps the [stack] mapping
 * (pthread_getattr_np and V8 look for it), and any argument list the kernel accepted fits.
 */
__attribute__((noinline, noreturn)) static void jump(const image *prog, const image *interp, char **argv) {
  uintptr_t *sp = (uintptr_t *)argv - 1;
  for (ElfW(auxv_t) *a = kernel_auxv; a->a_type != AT_NULL; a++) {
    switch (a->a_type) {
    case AT_PHDR: a->a_un.a_val = prog->phdr; break;
    case AT_PHNUM: a->a_un.a_val = prog->phnum; break;
    case AT_PHENT: a->a_un.a_val = sizeof(ElfW(Phdr)); break;
    case AT_ENTRY: a->a_un.a_val = prog->entry; break;
    case AT_BASE: a->a_un.a_val = interp ? interp->bias : 0; break;
    case AT_FLAGS: a->a_un.a_val = 0; break;
    }
  }
  uintptr_t entry = interp ? interp->entry : prog->entry;
#if defined(__x86_64__)
  /* %rdx = 0: no finaliser for the program's _start to register, as after execve. */
  __asm__ volatile("mov %0, %%rsp\n\txor %%edx, %%edx\n\txor %%ebp, %%ebp\n\tjmp *%1" : : "D"(sp), "S"(entry) : "memory");
#else
  register uintptr_t x0 __asm__("x0") = (uintptr_t)sp;
  register uintptr_t x1 __asm__("x1") = entry;
  __asm__ volatile("mov sp, x0\n\tmov x0, xzr\n\tmov x29, xzr\n\tmov x30, xzr\n\tbr x1" : : "r"(x0), "r"(x1) : "memory");
#endif
  __builtin_unreachable();
}

btm_inplace_status btm_run_in_place(int fd, const char *what, char **argv, char *why, size_t why_size) {
  if (!kernel_auxv) FAIL("no auxiliary vector");
  if (aux(AT_SECURE)) FAIL("the stub runs with changed privileges (setuid or setgid)");
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & (S_ISUID | S_ISGID))) FAIL("%s is setuid or setgid", what);

  static image prog, interp;
  btm_inplace_status status = map_elf(fd, what, (uint64_t)st.st_size, &prog, why, why_size);
  if (status) return status;
  if (prog.interp[0]) {
    int ifd = open(prog.interp, O_RDONLY | O_CLOEXEC);
    if (ifd < 0) {
      unmap(&prog);
      FAIL("cannot open its interpreter %s (%s)", prog.interp, strerror(errno));
    }
    status = map_elf(ifd, prog.interp, 0, &interp, why, why_size);
    close(ifd);
    if (status) {
      unmap(&prog);
      return status == BTM_INPLACE_NOEXEC ? BTM_INPLACE_UNSUPPORTED : status;
    }
  }
  release_rseq();
  /* The stub's C library took its stack guard and pointer guard from these bytes; the program
   * gets its own, as it would from the kernel. */
  void *random = (void *)aux(AT_RANDOM);
  if (random) syscall(SYS_getrandom, random, 16, 0);
  close(fd);
  jump(&prog, prog.interp[0] ? &interp : NULL, argv);
}

#else

btm_inplace_status btm_run_in_place(int fd, const char *what, char **argv, char *why, size_t why_size) {
  (void)fd, (void)what, (void)argv;
  snprintf(why, why_size, "in-place loading is for x64 and arm64");
  return BTM_INPLACE_UNSUPPORTED;
}

#endif
