ln -s loop2.yml loop1.yml
ln -s loop1.yml loop2.yml
