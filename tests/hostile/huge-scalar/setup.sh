{ printf 'services:\n  web:\n    command: [echo, "'; head -c 3145728 /dev/zero | tr '\0' 'x'; printf '"]\n'; } > nanokit.yml
