/* sm2_ec_tmpl.h - point arithmetic and scalar multiplication, instantiated once per
 * field-multiplication code path by sm2_ec.c. */
/*
 * Not a normal header: sm2_ec.c includes it with FMUL(r,a,b), FSQR(r,a), FSUB(r,a,b) and NAME(x)
 * defined, once for the portable C field code and once for the MULX/ADX code, so
 * each path gets fully inlined point formulas. Curve: y^2 = x^3 - 3x + b over Fp
 * (GM/T 0003.5 §2 recommended parameters; a = p - 3 allows the a=-3 doubling).
 */

/* a^(p-2) = a^-1 (Fermat). p-2 = FFFFFFFE FFFFFFFF*4 00000000 FFFFFFFF FFFFFFFD: 256 S + 15 M.
 * The exponent is public, so this is constant time in a. 0 maps to 0. */
static void NAME(fp_inv)(fe r, const fe a)
{
    fe x2, x3, x6, x12, x24, x30, x31, x32, t;
    int i;
    FSQR(t, a);
    FMUL(x2, t, a);
    FSQR(t, x2);
    FMUL(x3, t, a);
    FSQR(t, x3);
    for (i = 1; i < 3; i++)
        FSQR(t, t);
    FMUL(x6, t, x3);
    FSQR(t, x6);
    for (i = 1; i < 6; i++)
        FSQR(t, t);
    FMUL(x12, t, x6);
    FSQR(t, x12);
    for (i = 1; i < 12; i++)
        FSQR(t, t);
    FMUL(x24, t, x12);
    FSQR(t, x24);
    for (i = 1; i < 6; i++)
        FSQR(t, t);
    FMUL(x30, t, x6);
    FSQR(t, x30);
    FMUL(x31, t, a);
    FSQR(t, x31);
    FMUL(x32, t, a);
    /* t = x31 (31 ones), then a 0 bit, then 128 ones */
    FSQR(t, x31);
    for (int w = 0; w < 4; w++) {
        for (i = 0; i < 32; i++)
            FSQR(t, t);
        FMUL(t, t, x32);
    }
    for (i = 0; i < 32; i++)
        FSQR(t, t); /* 32 zero bits */
    for (i = 0; i < 32; i++)
        FSQR(t, t);
    FMUL(t, t, x32); /* 32 ones */
    for (i = 0; i < 30; i++)
        FSQR(t, t);
    FMUL(t, t, x30); /* 30 ones */
    FSQR(t, t);      /* 0 */
    FSQR(t, t);
    FMUL(r, t, a); /* 1 */
}

/* Jacobian doubling for a = -3 (dbl-2001-b, 3M+5S). Infinity (Z=0) stays Z=0. */
static void NAME(pt_dbl)(jpt *r, const jpt *a)
{
    fe delta, gamma, beta, alpha, t1, t2, x3, y3, z3;
    FSQR(delta, a->Z);
    FSQR(gamma, a->Y);
    FMUL(beta, a->X, gamma);
    FSUB(t1, a->X, delta);
    fp_add(t2, a->X, delta);
    FMUL(t1, t1, t2);
    fp_add(alpha, t1, t1);
    fp_add(alpha, alpha, t1); /* alpha = 3(X-delta)(X+delta) */
    FSQR(x3, alpha);
    fp_add(t1, beta, beta); /* 2 beta */
    fp_add(t1, t1, t1);     /* 4 beta */
    fp_add(t2, t1, t1);     /* 8 beta */
    FSUB(x3, x3, t2);
    fp_add(z3, a->Y, a->Z);
    FSQR(z3, z3);
    FSUB(z3, z3, gamma);
    FSUB(z3, z3, delta);
    FSUB(t1, t1, x3);
    FMUL(y3, alpha, t1);
    FSQR(t2, gamma);
    fp_add(t2, t2, t2);
    fp_add(t2, t2, t2);
    fp_add(t2, t2, t2); /* 8 gamma^2 */
    FSUB(y3, y3, t2);
    fe_copy(r->X, x3);
    fe_copy(r->Y, y3);
    fe_copy(r->Z, z3);
}

/* Mixed addition Jacobian + affine (8M+3S), no special cases; hz/rz report H==0 / R==0 (masks). */
static void NAME(pt_madd_raw)(jpt *r, const jpt *a, const fe bx, const fe by, uint64_t *hz,
                              uint64_t *rz)
{
    fe z1z1, u2, s2, h, rr, hh, hhh, v, x3, y3, z3, t;
    FSQR(z1z1, a->Z);
    FMUL(u2, bx, z1z1);
    FMUL(t, a->Z, z1z1);
    FMUL(s2, by, t);
    FSUB(h, u2, a->X);
    FSUB(rr, s2, a->Y);
    *hz = fe_is_zero_mask(h);
    *rz = fe_is_zero_mask(rr);
    FSQR(hh, h);
    FMUL(hhh, h, hh);
    FMUL(v, a->X, hh);
    FSQR(x3, rr);
    FSUB(x3, x3, hhh);
    FSUB(x3, x3, v);
    FSUB(x3, x3, v);
    FSUB(t, v, x3);
    FMUL(y3, rr, t);
    FMUL(t, a->Y, hhh);
    FSUB(y3, y3, t);
    FMUL(z3, a->Z, h);
    fe_copy(r->X, x3);
    fe_copy(r->Y, y3);
    fe_copy(r->Z, z3);
}

/* Full Jacobian addition (12M+4S), no special cases; hz/rz report H==0 / R==0. */
static void NAME(pt_add_raw)(jpt *r, const jpt *a, const jpt *b, uint64_t *hz, uint64_t *rz)
{
    fe z1z1, z2z2, u1, u2, s1, s2, h, rr, hh, hhh, v, x3, y3, z3, t;
    FSQR(z1z1, a->Z);
    FSQR(z2z2, b->Z);
    FMUL(u1, a->X, z2z2);
    FMUL(u2, b->X, z1z1);
    FMUL(t, b->Z, z2z2);
    FMUL(s1, a->Y, t);
    FMUL(t, a->Z, z1z1);
    FMUL(s2, b->Y, t);
    FSUB(h, u2, u1);
    FSUB(rr, s2, s1);
    *hz = fe_is_zero_mask(h);
    *rz = fe_is_zero_mask(rr);
    FSQR(hh, h);
    FMUL(hhh, h, hh);
    FMUL(v, u1, hh);
    FSQR(x3, rr);
    FSUB(x3, x3, hhh);
    FSUB(x3, x3, v);
    FSUB(x3, x3, v);
    FSUB(t, v, x3);
    FMUL(y3, rr, t);
    FMUL(t, s1, hhh);
    FSUB(y3, y3, t);
    FMUL(t, a->Z, b->Z);
    FMUL(z3, t, h);
    fe_copy(r->X, x3);
    fe_copy(r->Y, y3);
    fe_copy(r->Z, z3);
}

/*
 * Constant-time complete addition: handles a = infinity, b = infinity (b_zero mask)
 * and a == b (computes the doubling as well and selects it by mask), so it is right
 * for every input without a secret-dependent branch.
 */
static void NAME(pt_add_ct)(jpt *r, const jpt *a, const jpt *b, uint64_t b_zero)
{
    jpt t, d;
    uint64_t hz, rz;
    uint64_t a_inf = fe_is_zero_mask(a->Z);
    NAME(pt_add_raw)(&t, a, b, &hz, &rz);
    NAME(pt_dbl)(&d, a);
    uint64_t is_dbl = hz & rz & ~a_inf & ~b_zero;
    jpt_cmov(&t, &d, is_dbl);
    jpt_cmov(&t, b, a_inf);
    jpt_cmov(&t, a, b_zero);
    *r = t;
}

/* Jacobian -> affine, constant time. Returns ~0 if a is infinity (out is then 0,0). */
static uint64_t NAME(pt_to_aff)(sm2_aff *out, const jpt *a)
{
    fe zi, zi2, zi3;
    uint64_t inf = fe_is_zero_mask(a->Z);
    NAME(fp_inv)(zi, a->Z);
    FSQR(zi2, zi);
    FMUL(zi3, zi2, zi);
    FMUL(out->x, a->X, zi2);
    FMUL(out->y, a->Y, zi3);
    return inf;
}

/*
 * k*G, constant time: 37 comb windows of odd digits (odd_recode), summed in Jacobian
 * coordinates, then one inversion. k is first made odd (k or n - k, the result negated back),
 * so no digit is 0 and no partial sum is the point at infinity.
 *
 * Special cases: the sum S_i of the first i terms is an odd multiple of 1 with |S_i| < 2^(7i),
 * the next term d_i 2^(7i) is at least 2^(7i) in size, so S_i != +-d_i 2^(7i) as integers,
 * and below the top window both are under 2^252 < n/2, so they cannot meet modulo n either.
 * At the top window S_36 = -d_36 2^252 mod n would make k' = 0 mod n, excluded; but
 * S_36 = d_36 2^252 mod n (the doubling case) happens for a few k' (k' = 2 d_36 2^252 mod n
 * with the right low digits): that window also computes 2 S_36 and takes it when the mixed
 * addition reports H = R = 0, in constant time.
 */
static int NAME(mul_g)(sm2_aff *out, const uint64_t kin[4])
{
    uint64_t k[4], k1[4];
    uint8_t dg[SM2_COMB_WINDOWS];
    jpt acc;
    sm2_sn_reduce_once(k, kin);
    uint64_t kz = sm2_sn_is_zero_mask(k);
    uint64_t flip = odd_scalar(k1, k);
    odd_recode(dg, 1, k1);
    for (int i = 0; i < SM2_COMB_WINDOWS; i++) {
        sm2_aff sel;
        uint64_t d = dg[i] & 0x3f, sign = (uint64_t)dg[i] >> 7;
        SELECT_AFF(&sel, g_comb[i], d);
        fp_cneg_nz(sel.y, 0 - sign);
        if (i == 0) {
            fe_copy(acc.X, sel.x);
            fe_copy(acc.Y, sel.y);
            fe_copy(acc.Z, FP_ONE);
        } else if (i < SM2_COMB_WINDOWS - 1) {
            uint64_t hz, rz;
            NAME(pt_madd_raw)(&acc, &acc, sel.x, sel.y, &hz, &rz);
        } else {
            uint64_t hz, rz;
            jpt sum, twice;
            NAME(pt_madd_raw)(&sum, &acc, sel.x, sel.y, &hz, &rz);
            NAME(pt_dbl)(&twice, &acc);
            jpt_cmov(&sum, &twice, hz & rz);
            acc = sum;
            sm2_ct_wipe(&sum, sizeof(sum));
            sm2_ct_wipe(&twice, sizeof(twice));
        }
        sm2_ct_wipe(&sel, sizeof(sel));
    }
    NAME(pt_to_aff)(out, &acc);
    fe ny;
    fp_neg(ny, out->y);
    fe_cmov(out->y, ny, flip);
    fe_cmov(out->x, FP_ZERO, kz);
    fe_cmov(out->y, FP_ZERO, kz);
    sm2_ct_wipe(k, sizeof(k));
    sm2_ct_wipe(k1, sizeof(k1));
    sm2_ct_wipe(dg, sizeof(dg));
    sm2_ct_wipe(&acc, sizeof(acc));
    return (int)(~kz & 1);
}

/*
 * Jacobian -> affine for cnt points with one inversion (Montgomery's trick: prefix
 * products, one inversion, then back-substitution; 3 multiplications per point). Constant
 * time in the points; a point at infinity (Z = 0) takes part as Z = 1 so it cannot spoil
 * the others, and comes out as garbage: callers exclude it. prod is scratch of cnt
 * elements. Used for the comb table, the verification tables and the nonce batches.
 */
static void NAME(batch_to_aff)(sm2_aff *out, const jpt *in, int cnt, fe *prod)
{
    fe inv, zi, zi2, t, z;
    for (int i = 0; i < cnt; i++) {
        fe_copy(z, in[i].Z);
        fe_cmov(z, FP_ONE, fe_is_zero_mask(z));
        if (i == 0)
            fe_copy(prod[0], z);
        else
            FMUL(prod[i], prod[i - 1], z);
    }
    NAME(fp_inv)(inv, prod[cnt - 1]);
    for (int i = cnt - 1; i >= 0; i--) {
        if (i > 0) {
            fe_copy(z, in[i].Z);
            fe_cmov(z, FP_ONE, fe_is_zero_mask(z));
            FMUL(zi, inv, prod[i - 1]);
            FMUL(inv, inv, z);
        } else {
            fe_copy(zi, inv);
        }
        FSQR(zi2, zi);
        FMUL(out[i].x, in[i].X, zi2);
        FMUL(t, zi2, zi);
        FMUL(out[i].y, in[i].Y, t);
    }
    sm2_ct_wipe(inv, sizeof(fe));
    sm2_ct_wipe(zi, sizeof(fe));
    sm2_ct_wipe(zi2, sizeof(fe));
    sm2_ct_wipe(t, sizeof(fe));
}

/*
 * x(k_j * G) for cnt <= SM2_GBATCH_MAX scalars, constant time in the scalars. Instead of
 * accumulating the 37 comb terms d_i 2^(7i) G of each scalar one by one in Jacobian
 * coordinates (11 multiplications per term), the terms are summed in a binary tree of
 * affine additions, adjacent windows first. All additions of one tree level, across the
 * whole batch, are independent, so they share one field inversion (Montgomery's trick):
 * an addition then costs 6 multiplications, the 6 levels 6 inversions per batch, and the
 * root is already affine.
 *
 * Special cases: none arise. Each k is first made odd (k or n - k: only x is wanted, and
 * x(kG) = x(-kG)) and written in odd digits (odd_recode), so no term is the point at
 * infinity. Two sides A, B of a node sum adjacent window ranges [a,b) and [b,c): as integers
 * |S_A| < 2^(7b) while S_B is an odd multiple of 2^(7b), so S_A != +-S_B; modulo n they could
 * only meet if S_B -+ S_A were a non-zero multiple of n, below n in size for every node but
 * the root, and at the root S_A + S_B = k' in [1, n-1] while S_B - S_A = +-n would need
 * |S_A| > 2^251, beyond the 252 bits below the top window. So for k in [1, n-1] no
 * denominator is 0. As a safety net, a pair with denominator 0 gets 1 instead (it cannot
 * spoil the batch) and its scalar is reported in badm (~0) for the caller to discard, as is
 * k = 0. x is written as a plain integer < p. scratch: see
 * sm2_ec_gbatch_scratch_size.
 */
static void NAME(mul_g_x_batch)(uint64_t (*xout)[4], uint64_t *badm, const uint64_t (*ks)[4],
                                int cnt, void *scratch)
{
    static const fe one = {1, 0, 0, 0};
    sm2_gbatch_scratch *sc = scratch;
    const int W = SM2_COMB_WINDOWS;
    uint64_t k[4];
    /* The digits first, then the scans window by window: one window's row (64 points, 4 KB)
     * stays in L1 for all cnt scans of it, where scalar by scalar the whole 148 KB table went
     * through the cache for every scalar. */
    for (int j = 0; j < cnt; j++) {
        (void)odd_scalar(k, ks[j]); /* only x is wanted: x(kG) = x(-kG) */
        odd_recode(&sc->digit[j], SM2_GBATCH_MAX, k);
        badm[j] = sm2_sn_is_zero_mask(ks[j]); /* k = 0: excluded by the caller anyway */
    }
    for (int i = 0; i < W; i++) {
        const sm2_aff *row = g_comb[i];
        const uint8_t *dg = &sc->digit[i * SM2_GBATCH_MAX];
        for (int j = 0; j < cnt; j++) {
            sm2_apt *t = &sc->node[j * W + i];
            SELECT_AFF(t, row, dg[j] & 0x3f);
            fp_cneg_nz(t->y, 0 - ((uint64_t)dg[j] >> 7));
        }
    }
    for (int len = W; len > 1; len = (len + 1) / 2) {
        const int np = len / 2;
        /* Products of the denominators x_B - x_A (1 where not needed), taken in descending
         * (j, m) order so that the back-substitution below runs in ascending order and can
         * write each sum in place: node[j*W + m] is written only after node[j*W + 2m] and
         * node[j*W + 2m + 1] have been read, and ascending m never reads a written slot again.
         * Nested loops: no integer division per pair. */
        const int tot = cnt * np;
        int q = 0;
        for (int j = cnt - 1; j >= 0; j--) {
            const sm2_apt *nd = &sc->node[j * W];
            uint64_t bj = 0;
            for (int m = np - 1; m >= 0; m--, q++) {
                const sm2_apt *A = &nd[2 * m], *B = A + 1;
                FSUB(sc->den[q], B->x, A->x);
                uint64_t dz = fe_is_zero_mask(sc->den[q]);
                bj |= dz;
                fe_cmov(sc->den[q], FP_ONE, dz);
                if (q == 0)
                    fe_copy(sc->prod[0], sc->den[0]);
                else
                    FMUL(sc->prod[q], sc->prod[q - 1], sc->den[q]);
            }
            badm[j] |= bj;
        }
        fe inv;
        NAME(fp_inv)(inv, sc->prod[tot - 1]);
        for (int j = 0; j < cnt; j++) {
            sm2_apt *nd = &sc->node[j * W];
            for (int m = 0; m < np; m++) {
                --q;
                const sm2_apt *A = &nd[2 * m], *B = A + 1;
                fe zi, lam, dy, t;
                sm2_apt R;
                if (q > 0) {
                    FMUL(zi, inv, sc->prod[q - 1]);
                    FMUL(inv, inv, sc->den[q]);
                } else {
                    fe_copy(zi, inv);
                }
                FSUB(dy, B->y, A->y);
                FMUL(lam, dy, zi); /* (yB - yA) / (xB - xA) */
                FSQR(t, lam);
                FSUB(t, t, A->x);
                FSUB(R.x, t, B->x); /* x3 = lam^2 - xA - xB */
                FSUB(t, A->x, R.x);
                FMUL(t, lam, t);
                FSUB(R.y, t, A->y); /* y3 = lam (xA - x3) - yA; A and B read for the last time */
                /* cppcheck-suppress uninitvar ; R.x and R.y are FSUB's outputs (asm on one path) */
                nd[m] = R;
            }
            if (len & 1) nd[np] = nd[len - 1];
        }
        sm2_ct_wipe(inv, sizeof(inv));
    }
    for (int j = 0; j < cnt; j++)
        FMUL(xout[j], sc->node[j * W].x, one);
    sm2_ct_wipe(k, sizeof(k));
    sm2_ct_wipe(sc, sizeof(*sc));
}

/* k*P, constant time: signed 5-bit Booth windows over a 16-entry Jacobian table scanned with masks.
 */
static int NAME(mul)(sm2_aff *out, const uint64_t kin[4], const sm2_aff *p)
{
    uint64_t k[5];
    jpt tab[16], acc, sel;
    uint64_t hz, rz;
    sm2_sn_reduce_once(k, kin);
    k[4] = 0;
    fe_copy(tab[0].X, p->x);
    fe_copy(tab[0].Y, p->y);
    fe_copy(tab[0].Z, FP_ONE);
    NAME(pt_dbl)(&tab[1], &tab[0]);
    /* j*P + P with 2 <= j < 16 < n never hits a special case: P has prime order n. */
    for (int j = 2; j < 16; j++)
        NAME(pt_add_raw)(&tab[j], &tab[j - 1], &tab[0], &hz, &rz);
    memset(&acc, 0, sizeof(acc));
    for (int i = 51; i >= 0; i--) {
        if (i != 51)
            for (int j = 0; j < 5; j++)
                NAME(pt_dbl)(&acc, &acc);
        uint64_t sign, d = booth_recode(scalar_bits(k, 5 * i - 1, 6), 5, &sign);
        select_jac(&sel, tab, d);
        fe ny;
        fp_neg(ny, sel.Y);
        fe_cmov(sel.Y, ny, 0 - sign);
        NAME(pt_add_ct)(&acc, &acc, &sel, ct_mask_z(d));
    }
    uint64_t inf = NAME(pt_to_aff)(out, &acc);
    sm2_ct_wipe(k, sizeof(k));
    sm2_ct_wipe(tab, sizeof(tab));
    sm2_ct_wipe(&acc, sizeof(acc));
    sm2_ct_wipe(&sel, sizeof(sel));
    return (int)(~inf & 1);
}

/* ---- variable time: public inputs only (verification) ---- */

static void NAME(pt_madd_vt)(jpt *r, const jpt *a, const fe bx, const fe by)
{
    if (fe_is_zero_vt(a->Z)) {
        fe_copy(r->X, bx);
        fe_copy(r->Y, by);
        fe_copy(r->Z, FP_ONE);
        return;
    }
    jpt t;
    uint64_t hz, rz;
    NAME(pt_madd_raw)(&t, a, bx, by, &hz, &rz);
    if (hz) {
        if (rz) {
            NAME(pt_dbl)(r, a);
        } else {
            memset(r, 0, sizeof(*r));
        }
        return;
    }
    *r = t;
}

static void NAME(pt_add_vt)(jpt *r, const jpt *a, const jpt *b)
{
    if (fe_is_zero_vt(a->Z)) {
        *r = *b;
        return;
    }
    if (fe_is_zero_vt(b->Z)) {
        *r = *a;
        return;
    }
    jpt t;
    uint64_t hz, rz;
    NAME(pt_add_raw)(&t, a, b, &hz, &rz);
    if (hz) {
        if (rz)
            NAME(pt_dbl)(r, a);
        else
            memset(r, 0, sizeof(*r));
        return;
    }
    *r = t;
}

/* Odd multiples Q..63Q of Q = 2^(64i) P for each split i, converted to affine together with one
 * inversion per split (Montgomery's trick). Public data; run once per public-key context. */
static void NAME(pubtab_init)(sm2_pubtab *tb, const sm2_aff *p)
{
    jpt j[SM2_PUBTAB_N], p2, base;
    fe prod[SM2_PUBTAB_N];
    uint64_t hz, rz;
    fe_copy(base.X, p->x);
    fe_copy(base.Y, p->y);
    fe_copy(base.Z, FP_ONE);
    for (int s = 0; s < SM2_PUBTAB_SPLIT; s++) {
        /* 2^(64s) P: never infinity, P has prime order n > 2^192 */
        if (s > 0)
            for (int i = 0; i < 64; i++) {
                NAME(pt_dbl)(&base, &base);
            }
        NAME(pt_dbl)(&p2, &base);
        j[0] = base;
        /* (2i+1)Q; never special: prime order */
        for (int i = 1; i < SM2_PUBTAB_N; i++) {
            NAME(pt_add_raw)(&j[i], &j[i - 1], &p2, &hz, &rz);
        }
        NAME(batch_to_aff)(tb->odd[s], j, SM2_PUBTAB_N, prod);
    }
}

/* x(u1*G + u2*P) mod n == rme? Comb for u1*G, width-7 wNAF for u2*P; compared projectively (no
 * inversion). */
static int NAME(verify_x)(const uint64_t u1[4], const uint64_t u2[4], const sm2_pubtab *tb,
                          const uint64_t rme[4])
{
    uint64_t k[4];
    uint8_t dg[SM2_COMB_WINDOWS];
    jpt acc, acc2;
    int naf[SM2_PUBTAB_SPLIT][258];
    fe ny;
    memset(&acc, 0, sizeof(acc));
    if (!sm2_sn_is_zero_mask(u1)) {
        /* u1 or n - u1 (public), odd digits; the negation folded into each digit's sign */
        uint64_t flip = odd_scalar(k, u1) & 1;
        odd_recode(dg, 1, k);
        for (int i = 0; i < SM2_COMB_WINDOWS; i++) {
            const sm2_aff *e = &g_comb[i][dg[i] & 0x3f];
            if (((uint64_t)dg[i] >> 7) ^ flip) {
                fp_neg(ny, e->y);
                NAME(pt_madd_vt)(&acc, &acc, e->x, ny);
            } else {
                NAME(pt_madd_vt)(&acc, &acc, e->x, e->y);
            }
        }
    }
    /* u2 = sum of a_s 2^(64s): one wNAF per 64-bit piece, all sharing the doublings */
    int top = -1;
    for (int s = 0; s < SM2_PUBTAB_SPLIT; s++) {
        const uint64_t piece[4] = {u2[s], 0, 0, 0};
        if (piece[0] == 0) {
            memset(naf[s], 0, sizeof(naf[s]));
            continue;
        }
        int ts = wnaf_recode(naf[s], piece, 7);
        if (ts > top) top = ts;
    }
    memset(&acc2, 0, sizeof(acc2));
    for (int i = top; i >= 0; i--) {
        if (!fe_is_zero_vt(acc2.Z)) NAME(pt_dbl)(&acc2, &acc2);
        for (int s = 0; s < SM2_PUBTAB_SPLIT; s++) {
            int d = naf[s][i];
            if (d > 0) {
                NAME(pt_madd_vt)(&acc2, &acc2, tb->odd[s][d >> 1].x, tb->odd[s][d >> 1].y);
            } else if (d < 0) {
                fp_neg(ny, tb->odd[s][(-d) >> 1].y);
                NAME(pt_madd_vt)(&acc2, &acc2, tb->odd[s][(-d) >> 1].x, ny);
            }
        }
    }
    NAME(pt_add_vt)(&acc, &acc, &acc2);
    if (fe_is_zero_vt(acc.Z)) return 0;
    /* x1 = X/Z^2 in [0,p); x1 mod n == rme iff x1 == rme or x1 == rme + n (< p). */
    fe z2, xm, t;
    FSQR(z2, acc.Z);
    FMUL(xm, rme, FP_R2);
    FMUL(t, xm, z2);
    if (fe_eq_vt(t, acc.X)) return 1;
    uint64_t c[4];
    if (sn_add_n_below_p(c, rme)) {
        FMUL(xm, c, FP_R2);
        FMUL(t, xm, z2);
        if (fe_eq_vt(t, acc.X)) return 1;
    }
    return 0;
}
