// The seed's two services, declared: `ApacheSsh --sshd-port 2222` overrides a typed option, and ad-hoc
// command lines may still follow (`ApacheSsh "/usr/sbin/cron -f"`).
return TendApp.Run(args);
