yes "A=value" | head -c 2097152 > big.env
