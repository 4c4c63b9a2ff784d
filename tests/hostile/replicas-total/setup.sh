{ echo "services:"; for i in $(seq 0 100); do echo "  s$i: {command: [sleep, '1'], scale: 1000}"; done; } > nanokit.yml
