/* sm2_fp_adx.h - Montgomery multiplication mod the SM2 prime with x86-64 MULX/ADCX/ADOX (BMI2+ADX),
 * included by sm2_ec.c only. */
/*
 * Same algorithm as fp_mul_c (CIOS, -p^-1 = 1 mod 2^64, reduction by m*c with
 * c = (p+1)/2^64), but with two independent carry chains (ADCX uses CF, ADOX uses OF)
 * so the multiplies and additions of a row overlap. Selected at run time only when
 * CPUID reports BMI2 and ADX. Branch-free; the final subtraction uses CMOV.
 * Inputs must be < p; r may alias a or b (it is written last).
 */
/*
 * r = a - b mod p (inputs < p) in 22 instructions: subtract, take the borrow as a mask, add p &
 * mask. p's limbs & mask are mask, mask << 32, mask, mask with bit 32 cleared, so p is never
 * loaded. Branch-free; r may alias a or b.
 */
static inline __attribute__((always_inline)) void fp_sub_x86(fe r, const fe a, const fe b)
{
    uint64_t t0, t1, t2, t3, m, m1, m3;
    __asm__("xorl %k[m], %k[m]\n\t" /* sbb m, m below ignores m, but valgrind would not */
            "movq %[a0], %[t0]\n\t"
            "movq %[a1], %[t1]\n\t"
            "movq %[a2], %[t2]\n\t"
            "movq %[a3], %[t3]\n\t"
            "subq %[b0], %[t0]\n\t"
            "sbbq %[b1], %[t1]\n\t"
            "sbbq %[b2], %[t2]\n\t"
            "sbbq %[b3], %[t3]\n\t"
            "sbbq %[m], %[m]\n\t"
            "movq %[m], %[m1]\n\t"
            "shlq $32, %[m1]\n\t"
            "movq %[m], %[m3]\n\t"
            "btrq $32, %[m3]\n\t"
            "addq %[m], %[t0]\n\t"
            "adcq %[m1], %[t1]\n\t"
            "adcq %[m], %[t2]\n\t"
            "adcq %[m3], %[t3]\n\t"
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [m] "=&r"(m),
              [m1] "=&r"(m1), [m3] "=&r"(m3)
            : [a0] "m"(a[0]), [a1] "m"(a[1]), [a2] "m"(a[2]), [a3] "m"(a[3]), [b0] "m"(b[0]),
              [b1] "m"(b[1]), [b2] "m"(b[2]), [b3] "m"(b[3])
            : "cc");
    r[0] = t0;
    r[1] = t1;
    r[2] = t2;
    r[3] = t3;
}

static const uint64_t FP_C[3] = {0xffffffff00000001ULL, 0xffffffffffffffffULL,
                                 0xfffffffeffffffffULL};

static inline __attribute__((always_inline)) void fp_mul_adx(fe r, const fe a, const fe b)
{
    /* the memory operands (not a "memory" clobber) tell the compiler exactly what is read and
     * written, so it can keep the surrounding values in registers */
    __asm__("movq 0(%[b]), %%rdx\n\t"
            "xorl %%r13d, %%r13d\n\t"
            "mulxq 0(%[a]), %%r8, %%r9\n\t"
            "mulxq 8(%[a]), %%rax, %%r10\n\t"
            "adcxq %%rax, %%r9\n\t"
            "mulxq 16(%[a]), %%rax, %%r11\n\t"
            "adcxq %%rax, %%r10\n\t"
            "mulxq 24(%[a]), %%rax, %%r12\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adcxq %%r13, %%r12\n\t"
            "movq %%r8, %%rdx\n\t"
            "xorq %%r8, %%r8\n\t"
            "mulxq %[c0], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r9\n\t"
            "adoxq %%rcx, %%r10\n\t"
            "mulxq %[c1], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r10\n\t"
            "adoxq %%rcx, %%r11\n\t"
            "mulxq %[c2], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "adcxq %%r8, %%r12\n\t"
            "adoxq %%r8, %%r13\n\t"
            "adcxq %%r8, %%r13\n\t"
            "movq 8(%[b]), %%rdx\n\t"
            "xorq %%r8, %%r8\n\t"
            "mulxq 0(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r9\n\t"
            "adoxq %%rcx, %%r10\n\t"
            "mulxq 8(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r10\n\t"
            "adoxq %%rcx, %%r11\n\t"
            "mulxq 16(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "mulxq 24(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "adcxq %%r8, %%r13\n\t"
            "adoxq %%r8, %%r8\n\t"
            "adcq $0, %%r8\n\t"
            "movq %%r9, %%rdx\n\t"
            "xorq %%r9, %%r9\n\t"
            "mulxq %[c0], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r10\n\t"
            "adoxq %%rcx, %%r11\n\t"
            "mulxq %[c1], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "mulxq %[c2], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "adcxq %%r9, %%r13\n\t"
            "adoxq %%r9, %%r8\n\t"
            "adcxq %%r9, %%r8\n\t"
            "movq 16(%[b]), %%rdx\n\t"
            "xorq %%r9, %%r9\n\t"
            "mulxq 0(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r10\n\t"
            "adoxq %%rcx, %%r11\n\t"
            "mulxq 8(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "mulxq 16(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "mulxq 24(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r13\n\t"
            "adoxq %%rcx, %%r8\n\t"
            "adcxq %%r9, %%r8\n\t"
            "adoxq %%r9, %%r9\n\t"
            "adcq $0, %%r9\n\t"
            "movq %%r10, %%rdx\n\t"
            "xorq %%r10, %%r10\n\t"
            "mulxq %[c0], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "mulxq %[c1], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "mulxq %[c2], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r13\n\t"
            "adoxq %%rcx, %%r8\n\t"
            "adcxq %%r10, %%r8\n\t"
            "adoxq %%r10, %%r9\n\t"
            "adcxq %%r10, %%r9\n\t"
            "movq 24(%[b]), %%rdx\n\t"
            "xorq %%r10, %%r10\n\t"
            "mulxq 0(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r11\n\t"
            "adoxq %%rcx, %%r12\n\t"
            "mulxq 8(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "mulxq 16(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r13\n\t"
            "adoxq %%rcx, %%r8\n\t"
            "mulxq 24(%[a]), %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r8\n\t"
            "adoxq %%rcx, %%r9\n\t"
            "adcxq %%r10, %%r9\n\t"
            "adoxq %%r10, %%r10\n\t"
            "adcq $0, %%r10\n\t"
            "movq %%r11, %%rdx\n\t"
            "xorq %%r11, %%r11\n\t"
            "mulxq %[c0], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r12\n\t"
            "adoxq %%rcx, %%r13\n\t"
            "mulxq %[c1], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r13\n\t"
            "adoxq %%rcx, %%r8\n\t"
            "mulxq %[c2], %%rax, %%rcx\n\t"
            "adcxq %%rax, %%r8\n\t"
            "adoxq %%rcx, %%r9\n\t"
            "adcxq %%r11, %%r9\n\t"
            "adoxq %%r11, %%r10\n\t"
            "adcxq %%r11, %%r10\n\t"
            "movq %%r12, %%rax\n\t"
            "movq %%r13, %%rcx\n\t"
            "movq %%r8, %%rdx\n\t"
            "movq %%r9, %%r11\n\t"
            "subq %[p0], %%rax\n\t"
            "sbbq %[p1], %%rcx\n\t"
            "sbbq %[p2], %%rdx\n\t"
            "sbbq %[p3], %%r11\n\t"
            "sbbq $0, %%r10\n\t"
            "cmovcq %%r12, %%rax\n\t"
            "cmovcq %%r13, %%rcx\n\t"
            "cmovcq %%r8, %%rdx\n\t"
            "cmovcq %%r9, %%r11\n\t"
            "movq %%rax, 0(%[r])\n\t"
            "movq %%rcx, 8(%[r])\n\t"
            "movq %%rdx, 16(%[r])\n\t"
            "movq %%r11, 24(%[r])\n\t"
            : "=m"(*(uint64_t(*)[4])r)
            : [r] "r"(r), [a] "r"(a), [b] "r"(b), [c0] "m"(FP_C[0]), [c1] "m"(FP_C[1]),
              [c2] "m"(FP_C[2]), [p0] "m"(FP_P[0]), [p1] "m"(FP_P[1]), [p2] "m"(FP_P[2]),
              [p3] "m"(FP_P[3]), "m"(*(const uint64_t(*)[4])a), "m"(*(const uint64_t(*)[4])b)
            : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "cc");
}

/*
 * Montgomery squaring: the 6 cross products a_i a_j (i < j) once, doubled by an add chain,
 * plus the 4 squares (10 MULX instead of 16), then the same reduction as fp_mul_adx applied
 * to the low half (4 rounds, each m = t0 and (t + m p) / 2^64 = t[1..3] + m c, no carry out
 * of 4 limbs) with the registers renamed each round, and the high half added: low' <= p and
 * high < p, so the sum is < 2p and one conditional subtraction (CMOV) finishes.
 * Branch-free; input < p; r may alias a.
 */
#define SM2_SQR_RED_ROUND(u0, u1, u2, u3)                                                          \
    "movq %%" u0 ", %%rdx\n\t"                                                                     \
    "xorq %%" u0 ", %%" u0 "\n\t"                                                                  \
    "mulxq %[c0], %%rax, %%rcx\n\t"                                                                \
    "adcxq %%rax, %%" u1 "\n\t"                                                                    \
    "adoxq %%rcx, %%" u2 "\n\t"                                                                    \
    "mulxq %[c1], %%rax, %%rcx\n\t"                                                                \
    "adcxq %%rax, %%" u2 "\n\t"                                                                    \
    "adoxq %%rcx, %%" u3 "\n\t"                                                                    \
    "mulxq %[c2], %%rax, %%rcx\n\t"                                                                \
    "adcxq %%rax, %%" u3 "\n\t"                                                                    \
    "adoxq %%rcx, %%" u0 "\n\t"                                                                    \
    "adcq $0, %%" u0 "\n\t"

static inline __attribute__((always_inline)) void fp_sqr_adx(fe r, const fe a)
{
    __asm__(/* cross products: t1..t6 in r9..r14 */
            "movq %[a0], %%rdx\n\t"
            "mulxq %[a1], %%r9, %%r10\n\t"
            "mulxq %[a2], %%rax, %%r11\n\t"
            "addq %%rax, %%r10\n\t"
            "mulxq %[a3], %%rax, %%r12\n\t"
            "adcq %%rax, %%r11\n\t"
            "adcq $0, %%r12\n\t"
            "movq %[a1], %%rdx\n\t"
            "mulxq %[a2], %%rax, %%rcx\n\t"
            "mulxq %[a3], %%r8, %%r13\n\t"
            "addq %%rax, %%r11\n\t"
            "adcq %%rcx, %%r12\n\t"
            "adcq $0, %%r13\n\t"
            "addq %%r8, %%r12\n\t"
            "adcq $0, %%r13\n\t"
            "movq %[a2], %%rdx\n\t"
            "mulxq %[a3], %%rax, %%r14\n\t"
            "addq %%rax, %%r13\n\t"
            "adcq $0, %%r14\n\t"
            /* doubled: t1..t7 */
            "xorl %%r15d, %%r15d\n\t"
            "addq %%r9, %%r9\n\t"
            "adcq %%r10, %%r10\n\t"
            "adcq %%r11, %%r11\n\t"
            "adcq %%r12, %%r12\n\t"
            "adcq %%r13, %%r13\n\t"
            "adcq %%r14, %%r14\n\t"
            "adcq %%r15, %%r15\n\t"
            /* plus the squares a_i^2 at 2i (MULX and MOV leave the flags alone) */
            "movq %[a0], %%rdx\n\t"
            "mulxq %%rdx, %%r8, %%rax\n\t"
            "addq %%rax, %%r9\n\t"
            "movq %[a1], %%rdx\n\t"
            "mulxq %%rdx, %%rax, %%rcx\n\t"
            "adcq %%rax, %%r10\n\t"
            "adcq %%rcx, %%r11\n\t"
            "movq %[a2], %%rdx\n\t"
            "mulxq %%rdx, %%rax, %%rcx\n\t"
            "adcq %%rax, %%r12\n\t"
            "adcq %%rcx, %%r13\n\t"
            "movq %[a3], %%rdx\n\t"
            "mulxq %%rdx, %%rax, %%rcx\n\t"
            "adcq %%rax, %%r14\n\t"
            "adcq %%rcx, %%r15\n\t"
            /* reduce the low half t0..t3 */
            SM2_SQR_RED_ROUND("r8", "r9", "r10", "r11") SM2_SQR_RED_ROUND("r9", "r10", "r11", "r8")
                SM2_SQR_RED_ROUND("r10", "r11", "r8", "r9")
                    SM2_SQR_RED_ROUND("r11", "r8", "r9", "r10")
            /* + high half, carry in rcx */
            "xorl %%ecx, %%ecx\n\t"
            "addq %%r12, %%r8\n\t"
            "adcq %%r13, %%r9\n\t"
            "adcq %%r14, %%r10\n\t"
            "adcq %%r15, %%r11\n\t"
            "adcq $0, %%rcx\n\t"
            "movq %%r8, %%rax\n\t"
            "movq %%r9, %%rdx\n\t"
            "movq %%r10, %%r12\n\t"
            "movq %%r11, %%r13\n\t"
            "subq %[p0], %%rax\n\t"
            "sbbq %[p1], %%rdx\n\t"
            "sbbq %[p2], %%r12\n\t"
            "sbbq %[p3], %%r13\n\t"
            "sbbq $0, %%rcx\n\t"
            "cmovcq %%r8, %%rax\n\t"
            "cmovcq %%r9, %%rdx\n\t"
            "cmovcq %%r10, %%r12\n\t"
            "cmovcq %%r11, %%r13\n\t"
            "movq %%rax, %[r0]\n\t"
            "movq %%rdx, %[r1]\n\t"
            "movq %%r12, %[r2]\n\t"
            "movq %%r13, %[r3]\n\t"
            /* limbs as memory operands, not pointers in registers: with 11 registers clobbered an
             * -O1 / frame-pointer (ASan) build has too few left for two pointers and two
             * memory operand bases */
            : [r0] "=m"(r[0]), [r1] "=m"(r[1]), [r2] "=m"(r[2]), [r3] "=m"(r[3])
            : [a0] "m"(a[0]), [a1] "m"(a[1]), [a2] "m"(a[2]), [a3] "m"(a[3]), [c0] "m"(FP_C[0]),
              [c1] "m"(FP_C[1]), [c2] "m"(FP_C[2]), [p0] "m"(FP_P[0]), [p1] "m"(FP_P[1]),
              [p2] "m"(FP_P[2]), [p3] "m"(FP_P[3])
            : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc");
}
#undef SM2_SQR_RED_ROUND
