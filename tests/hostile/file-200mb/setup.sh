{ echo "services:"; yes "  web: {command: [sleep, '1']}" | head -c 209715200; } > nanokit.yml
