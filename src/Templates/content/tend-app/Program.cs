// Binds `docker run IMAGE [--service-option VALUE]... ["command line"]...` and supervises everything.
return TendApp.Run(args);
