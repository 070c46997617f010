# fuzz_compare.awk WEFT.out NODE.out -- compares the outputs of fuzz_exec and
# fuzz_exec.mjs call by call (block 0: what comes before the first call; then
# a block per `call NAME` line and what follows it).  Blocks must be equal
# line for line, with one exception, the engines' stack limits: where one
# engine ran out of stack ("trap stack") and the other trapped too, in any
# way, the block counts as equal -- the stacks differ in depth, so the logs
# before the trap may differ too -- and comparing stops there, since the
# state the two carry on with may differ.  A stack trap against a normal
# return is a difference.  (NaNs already print as `nan` on both sides.)
# Exit 0 when equal, 1 with the first differing block on stdout when not.
# The two sides are named by -v left=... right=... (default: weft, node).
BEGIN {
    if (left == "") left = "weft"
    if (right == "") right = "node"
}
{
    f = FILENAME == ARGV[1] ? 1 : 2
    if (/^call /) k[f]++
    blk[f, k[f]] = blk[f, k[f]] $0 "\n"
    last[f, k[f]] = $0
}
END {
    m = k[1] > k[2] ? k[1] : k[2]
    for (i = 0; i <= m; i++) {
        if (blk[1, i] == blk[2, i]) continue
        if (last[1, i] ~ /^trap / && last[2, i] ~ /^trap / &&
            (last[1, i] == "trap stack" || last[2, i] == "trap stack")) {
            print "note: stack limit in call block " i ", compared up to it"
            exit 0
        }
        printf "first difference, block %d:\n--- %s\n%s--- %s\n%s", i, left, blk[1, i], right, blk[2, i]
        exit 1
    }
}
