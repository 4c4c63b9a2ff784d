# s65 extends s64 … extends s0: a chain of 66 services, two past the 64 an extends chain may have.
{
  printf 'runtime: docker\nservices:\n  s0:\n    image: app:1\n'
  for i in $(seq 1 65); do
    printf '  s%d:\n    extends: s%d\n' "$i" $((i - 1))
  done
} > nanokit.yml
