{ echo "services:"; for i in $(seq 0 199); do printf '  s%s:\n    image: "busybox:1"\n    ports: ["127.0.%s.1:1-65535:1-65535"]\n' $i $i; done; } > nanokit.yml
