{ echo "services:"; seq 0 10000 | sed 's/.*/  s&: {command: [sleep, "1"]}/'; } > nanokit.yml
