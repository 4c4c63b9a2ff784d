head -c 65536 /dev/urandom > blob
