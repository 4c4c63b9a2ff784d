{ printf 'x-deep: '; head -c 100000 /dev/zero | tr '\0' '['; printf '\nservices:\n  web:\n    command: [sleep, "1"]\n'; } > nanokit.yml
