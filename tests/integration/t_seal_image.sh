# t_seal_image.sh - sealca seal-image: render, extract (with preview, crop, threshold), info,
# a real producer's seal picture, and hostile images: a clear error and nothing written.
. "$ROOT/tests/integration/lib.sh"

$S seal-image render --shape round --name "北京集成测试有限公司" --bottom 合同专用章 --out round.png
$S seal-image info round.png > info.txt
grep -q "size: 496x496 px" info.txt || die "round seal is not 42 mm at 300 dpi"
grep -q "300 dpi (42.0 x 42.0 mm)" info.txt || die "no pHYs"
grep -q "rendering: YES" info.txt || die "rendering not marked"
$S seal-image render --shape square --name "张三之印" --size-mm 20 --out square.png
$S seal-image info square.png | grep -q "rendering: YES" || die "square rendering not marked"

# extraction from the rendering: the result stays marked, at the stated size
$S seal-image extract --in round.png --out ext.png --size-mm 40 --dpi 600 --preview pv.png > ext.txt
cat ext.txt
grep -q "from a RENDERING" ext.txt || die "extraction of a rendering not flagged"
$S seal-image info ext.png > info2.txt
grep -q "600 dpi (40.0 x 40.0 mm)" info2.txt || { cat info2.txt; die "extraction size"; }
grep -q "rendering: YES" info2.txt || die "rendering mark lost in extraction"
test -s pv.png || die "no preview"
# an existing output is not replaced without --force
expect_fail cli.exists $S seal-image extract --in round.png --out ext.png
$S seal-image extract --in round.png --out ext.png --force --threshold 0.3 --crop 0,0,496,496

# a real producer's seal picture (the OFD R&W fixture, v4): its PNG out of the DER
line=$(openssl asn1parse -inform DER -in "$FIXTURES/seal/ofdrw-UserV4.esl" | grep "OCTET STRING.*:89504E47" | head -n 1)
off=$(echo "$line" | sed 's/^ *\([0-9]*\):.*/\1/')
hl=$(echo "$line" | sed 's/.*hl= *\([0-9]*\).*/\1/')
len=$(echo "$line" | sed 's/.* l= *\([0-9]*\) .*/\1/')
dd if="$FIXTURES/seal/ofdrw-UserV4.esl" of=fixture.png bs=1 skip=$((off + hl)) count="$len" 2>/dev/null
$S seal-image info fixture.png | grep -q "size: 400x400 px" || die "fixture picture"
$S seal-image extract --in fixture.png --out fx.png --size-mm 40 | grep -q "seal (red ink)" || die "fixture extraction"
$S seal-image info fx.png | grep -q "rendering: no" || die "a real seal marked as rendering"

# a specimen box photographed at an angle (the fuzz seed): the frame is found and rectified,
# the seal made round; --deskew off leaves the oval; anything else is a usage error
$S seal-image extract --in "$ROOT/tests/fuzz/corpus/image/deskew_box.png" --out dk.png --size-mm 20 > dk.txt
cat dk.txt
grep -q "perspective: specimen box frame" dk.txt || die "frame not found"
grep -q "made round" dk.txt || die "outline not made round"
$S seal-image info dk.png | grep -q "236x23[4-8] px" || die "deskewed seal not 20 mm round"
$S seal-image extract --in "$ROOT/tests/fuzz/corpus/image/deskew_box.png" --out dk2.png --size-mm 20 --deskew off > dk2.txt
grep -q "perspective" dk2.txt && die "deskew off still corrected"
$S seal-image extract --in "$ROOT/tests/fuzz/corpus/image/deskew_box.png" --out dk3.png --deskew sideways 2> dk3.err && die "bad --deskew accepted"
test ! -e dk3.png || die "a refused command wrote its output"

# hostile input: a clear error, nothing written
head -c 5000 /dev/urandom > junk.bin
expect_fail image.not_image $S seal-image extract --in junk.bin --out x.png
head -c 300 round.png > trunc.png
expect_fail image.bad_png $S seal-image extract --in trunc.png --out x.png
# a PNG declaring 100000 x 100000 pixels (IHDR width/height at offset 16)
{ head -c 16 round.png; printf '\000\001\206\240\000\001\206\240'; tail -c +25 round.png; } > bomb.png
expect_fail image.too_large $S seal-image extract --in bomb.png --out x.png
expect_fail image.too_large $S seal-image info bomb.png
head -c 21000000 /dev/zero > huge.png
expect_fail image.file_too_big $S seal-image extract --in huge.png --out x.png
expect_fail image.bad_crop $S seal-image extract --in round.png --out x.png --crop 900,900,10,10
expect_fail image.no_ink $S seal-image extract --in round.png --out x.png --threshold 0.99
expect_fail render.square_chars $S seal-image render --shape square --name "王小二" --out x.png
test ! -e x.png || die "a refused command wrote its output"
