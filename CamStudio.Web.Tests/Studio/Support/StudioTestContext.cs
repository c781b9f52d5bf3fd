using Bunit;
using CamStudio.Web.Access;
using CamStudio.Web.Presenter;
using CamStudio.Web.Studio;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// The one shared setup of the studio's component tests: MudBlazor services, loose JS interop (MudBlazor calls
/// plenty of JS that tests do not care about), a <see cref="FakeStudioEngine"/> and a per-test session.
/// </summary>
public abstract class StudioTestContext : AsyncDisposedBunitContext
{
    protected StudioTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options => options.SnackbarConfiguration.ShowTransitionDuration = 0);
        Services.AddLogging();
        Services.AddSingleton<IStudioEngine>(Engine);
        Services.AddSingleton<StudioPictures>(Pictures);
        Services.AddStudioSession();
        // The explorer's Present switch publishes through the presenter session (SignalR hub context).
        Services.AddSignalR();
        Services.AddSingleton<PresenterSession>();
        Services.AddStudioCaller(StudioCaller.Host);
    }

    protected FakeStudioEngine Engine { get; } = new();

    protected RecordingStudioPictures Pictures { get; } = new();

    protected ISnackbar Snackbar => Services.GetRequiredService<ISnackbar>();

    /// <summary>Renders MudBlazor's popover provider first, so selects and autocompletes can open.</summary>
    protected IRenderedComponent<TComponent> RenderWithProviders<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : Microsoft.AspNetCore.Components.IComponent
    {
        Render<MudPopoverProvider>();
        return parameters is null ? Render<TComponent>() : Render<TComponent>(parameters);
    }
}
