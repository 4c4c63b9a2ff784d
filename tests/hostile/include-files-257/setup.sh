# 257 included files, one past the 256 files a project may read through include and extends.
{
  printf 'include:\n'
  for i in $(seq 1 257); do printf '  - part%d.yml\n' "$i"; done
  printf 'services:\n  web:\n    image: app:1\n'
} > nanokit.yml
for i in $(seq 1 257); do printf 'services:\n  s%d:\n    image: app:1\n' "$i" > "part$i.yml"; done
