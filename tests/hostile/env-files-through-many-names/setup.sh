value=$(head -c 1000 /dev/zero | tr '\0' 'x')
for i in $(seq 1 1000); do echo "VAR_$i=$value"; done > big.env
{ echo "services:"; for i in $(seq 1 40); do ln -s big.env link$i.env; printf '  s%s:\n    command: [sleep, "1"]\n    env_file: link%s.env\n' $i $i; done; } > nanokit.yml
