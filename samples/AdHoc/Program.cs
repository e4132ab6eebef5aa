// The generic image entrypoint: no declared services, only the command lines given to `docker run`.
return Tend.TendHost.Run(args);
