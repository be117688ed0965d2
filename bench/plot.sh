#!/usr/bin/env bash
# Renders the crossover plots from the CSVs: for each kernel (and each
# autocorr algorithm), time vs size on log-log axes for every series and
# peer, with the crossover points marked, and the speedup over serial in a
# second panel. Writes <plots>/<name>.png (pngcairo, else png) and .svg.
#
# Usage: bench/plot.sh [RESULTS_DIR [PLOTS_DIR]]
#        (default bench/results and bench/plots, relative to the repo root)
#
# A series' crossover is the smallest size from which its median beats
# serial's at that size and at every larger size (as hetero-bench prints).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
results=${1:-$here/bench/results}
plots=${2:-$here/bench/plots}

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plot.sh: gnuplot not found, no plots" >&2
    exit 0
fi
mkdir -p "$plots"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
    png_term='pngcairo size 900,1000 font "DejaVu Sans,10"'
else
    png_term='png size 900,1000'
fi

# split_series CSV ALGO PEERS OUTDIR: one data file per series ("size median
# speedup"), peers alike, and the crossover points; titles in *.title.
split_series() {
    awk -F, -v algo="$2" -v peers="$3" -v out="$4" '
    function keyof(dev, thr) { return dev == "cpu" ? dev "/" thr : dev }
    FNR == 1 { next }
    FILENAME != peers {
        if ($2 != algo) next
        k = keyof($3, $4)
        if (!(k in idx)) { idx[k] = ++ns; name[ns] = k }
        j = idx[k]
        if (!((j, $5) in seen)) { seen[j, $5] = 1; n[j]++; sz[j, n[j]] = $5 }
        med[j, $5] = $9
        if (!($5 in sizeset)) { sizeset[$5] = 1 }
        if (k == "serial" && $9 != "") ser[$5] = $9
        next
    }
    {
        # peers.csv: kernel,impl,size,median_s
        if ($1 != kernel) next
        if (kernel == "autocorr") {
            if (algo == "direct" && $2 !~ /correlate2d/) next
            if (algo == "fft" && $2 !~ /correlate-fft/) next
        }
        if (!($2 in pidx)) { pidx[$2] = ++np; pname[np] = $2 }
        pm[pidx[$2], ++pn[pidx[$2]]] = $3 " " $4
    }
    END {
        for (j = 1; j <= ns; j++) {
            f = out "/s" j ".dat"
            printf "" > f
            for (i = 1; i <= n[j]; i++) {
                s = sz[j, i]; m = med[j, s]
                if (m == "") continue
                sp = (s in ser) ? ser[s] / m : "NaN"
                print s, m, sp > f
            }
            close(f)
            print name[j] > (out "/s" j ".title")
            close(out "/s" j ".title")
            if (name[j] == "serial") continue
            from = 0
            for (i = n[j]; i >= 1; i--) {
                s = sz[j, i]; m = med[j, s]
                if (m == "" || !(s in ser) || !(m + 0 < ser[s] + 0)) break
                from = i
            }
            if (from) {
                s = sz[j, from]
                print s, med[j, s], ser[s] / med[j, s] >> (out "/cross.dat")
                # One label per crossover size, naming every series there.
                if (!(s in lab)) { lab[s] = name[j]; lm[s] = med[j, s] }
                else lab[s] = lab[s] "," name[j]
                if (med[j, s] + 0 < lm[s] + 0) lm[s] = med[j, s]
            }
        }
        for (s in lab)
            print s, lm[s], "\"" lab[s] " from " s "\"" >> (out "/crosslab.dat")
        for (p = 1; p <= np; p++) {
            f = out "/p" p ".dat"
            printf "" > f
            for (i = 1; i <= pn[p]; i++) {
                split(pm[p, i], a, " ")
                sp = (a[1] in ser) ? ser[a[1]] / a[2] : "NaN"
                print a[1], a[2], sp > f
            }
            close(f)
            print pname[p] > (out "/p" p ".title")
            close(out "/p" p ".title")
        }
    }' kernel="$5" "$1" "$3"
}

render() {
    local name=$1 title=$2 dir=$3 term out ext
    local plot_t="" plot_s="" f t style
    for f in "$dir"/s*.dat; do
        [ -s "$f" ] || continue
        t=$(cat "${f%.dat}.title")
        style="lw 2"
        [ "$t" = serial ] && style="lw 3 lc rgb 'black' pt 7 ps 0.7"
        plot_t+="'$f' using 1:2 with linespoints $style title '$t', "
        plot_s+="'$f' using 1:3 with linespoints $style title '$t', "
    done
    for f in "$dir"/p*.dat; do
        [ -e "$f" ] || continue
        [ -s "$f" ] || continue
        t=$(cat "${f%.dat}.title")
        plot_t+="'$f' using 1:2 with linespoints dt 2 lw 1.5 title '$t', "
        plot_s+="'$f' using 1:3 with linespoints dt 2 lw 1.5 title '$t', "
    done
    if [ -s "$dir/cross.dat" ]; then
        plot_t+="'$dir/cross.dat' using 1:2 with points pt 6 ps 3 lc rgb "
        plot_t+="'black' title 'crossover', "
        plot_t+="'$dir/crosslab.dat' using 1:2:3 with labels offset 0,-1.8 "
        plot_t+="font ',8' notitle, "
        plot_s+="'$dir/cross.dat' using 1:3 with points pt 6 ps 3 lc rgb "
        plot_s+="'black' title 'crossover', "
    fi
    plot_s+="1 with lines lc rgb 'gray' dt 3 notitle"
    for ext in png svg; do
        if [ "$ext" = png ]; then
            term=$png_term
        else
            term='svg size 900,1000 dynamic font "DejaVu Sans,10"'
        fi
        out="$plots/$name.$ext"
        gnuplot <<EOF
set terminal $term
set output '$out'
set datafile missing 'NaN'
set multiplot layout 2,1 title "$title"
set logscale xy
set grid
set key outside right top font ',8'
set xlabel 'size'
set format x '10^{%L}'
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
set ylabel 'median time (s)'
set format y '10^{%L}'
plot ${plot_t%, }
set ylabel 'speedup over serial (x)'
set format y '%g'
plot $plot_s
unset multiplot
EOF
    done
    echo "plot.sh: $plots/$name.png, .svg"
}

peers=$results/peers.csv
[ -e "$peers" ] || { peers=$tmp/no-peers.csv; echo "kernel" > "$peers"; }
for csv in "$results"/*.csv; do
    base=$(basename "$csv" .csv)
    case $base in peers|run_info) continue ;; esac
    kernel=$(awk -F, 'NR == 2 { print $1; exit }' "$csv")
    [ -n "$kernel" ] || continue
    awk -F, 'NR > 1 { print $2 }' "$csv" | awk '!seen[$0]++' |
    while IFS= read -r algo; do
        name=$kernel
        shape=$(awk -F, -v a="$algo" 'NR > 1 && $2 == a { s = $6 }
                                      END { print s }' "$csv")
        title="$kernel"
        if [ -n "$algo" ]; then
            name="$kernel-$algo"
            title="$kernel (algo=$algo)"
        fi
        title="$title: time and speedup over serial (largest: $shape)"
        dir=$tmp/$name
        mkdir -p "$dir"
        split_series "$csv" "$algo" "$peers" "$dir" "$kernel"
        render "$name" "$title" "$dir"
    done
done
