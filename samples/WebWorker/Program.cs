// One binary, three roles: without a role it is the image's entrypoint (Tend, supervising the two services
// below); `web` and `worker` are the services themselves, started by Tend as its children.
return args switch
{
    ["web", .. var rest] => WebWorker.WebApp.Run(rest),
    ["worker", .. var rest] => await WebWorker.Worker.RunAsync(rest),
    _ => TendApp.Run(args),
};
