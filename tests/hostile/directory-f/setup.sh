mkdir conf
