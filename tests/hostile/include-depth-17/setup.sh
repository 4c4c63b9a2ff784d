# nanokit.yml includes f1.yml, which includes f2.yml, … f17.yml: one file deeper than the 16 include may nest.
printf 'include:\n  - f1.yml\nservices:\n  web:\n    image: app:1\n' > nanokit.yml
for i in $(seq 1 16); do
  printf 'include:\n  - f%d.yml\nservices:\n  s%d:\n    image: app:1\n' $((i + 1)) "$i" > "f$i.yml"
done
printf 'services:\n  s17:\n    image: app:1\n' > f17.yml
