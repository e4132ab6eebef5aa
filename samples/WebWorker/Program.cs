// One binary, four roles: without a role it is the image's entrypoint (Tend, supervising the services below);
// `web`, `worker` and `report` are the services themselves, started by Tend as its children.
return args switch
{
    ["web", .. var rest] => WebWorker.WebApp.Run(rest),
    ["worker", .. var rest] => await WebWorker.Worker.RunAsync(rest),
    ["report", .. var rest] => await WebWorker.Report.RunAsync(rest),
    _ => TendApp.Run(args),
};
