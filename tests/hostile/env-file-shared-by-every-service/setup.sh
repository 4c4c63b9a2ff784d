seq 1 1000 | sed 's/.*/VAR_&=value/' > shared.env
{ echo "services:"; for i in $(seq 0 299); do echo "  s$i: {command: [sleep, '1'], env_file: shared.env}"; done; } > nanokit.yml
