# Sourced by scripts/bench and Benchmarks/load/profile-order: the release build of `manage` that
# the benchmark measures, as one function. Each flag is there for the server's memory:
#   --static-swift-stdlib           the Swift runtime and Foundation linked in: only what is used,
#                                   far fewer symbols for the dynamic linker to bind
#   -function-sections (Swift, C)   every function in its own section, so that the linker can
#                                   place them in any order...
#   --symbol-ordering-file          ...and puts the functions the server runs (Benchmarks/manage.order.gz,
#                                   made by Benchmarks/load/profile-order) together at the start of
#                                   .text: a page of code touched maps its 64 KB neighbourhood too
#                                   (the kernel's fault-around), so scattered code kept most of
#                                   .text resident
#   -T text-layout.ld               the functions without a symbol (private, unnamed), which no
#                                   ordering file can name, placed together just before them
# Package.swift adds the link flags of every release build (lld, packed relocations, no exported
# symbols). Usage: release_build SCRATCH_PATH
release_build() {
  local scratch=$1 root link_flags
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  link_flags=(-Xlinker -T -Xlinker "$root/Benchmarks/load/text-layout.ld")
  mkdir -p "$root/$scratch"
  if [ -f "$root/Benchmarks/manage.order.gz" ]; then
    gzip -dc "$root/Benchmarks/manage.order.gz" >"$root/$scratch/manage.order"
    # Names no longer in the binary are skipped quietly; a stale file only places less code well.
    link_flags+=(-Xlinker "--symbol-ordering-file=$root/$scratch/manage.order" -Xlinker --no-warn-symbol-ordering)
  fi
  # Neither the ordering file nor the layout script is an input SwiftPM tracks: remove the binary
  # so that it is linked again.
  rm -f "$root/$scratch/release/manage"
  swift build -c release --static-swift-stdlib \
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections "${link_flags[@]}" \
    --product manage --scratch-path "$scratch"
}
