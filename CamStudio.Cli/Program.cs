using CamStudio.Cli;

return CamStudioCli.Run(args, Console.Out, Console.Error);
