namespace Tend.Supervision;

/// <summary>What wakes the supervisor's thread.</summary>
internal enum MessageKind { ChildExited, Signal, Request, Notify }

/// <summary>One message: <see cref="Signal"/> is set for <see cref="MessageKind.Signal"/>, <see cref="Request"/> for
/// <see cref="MessageKind.Request"/>.</summary>
internal readonly record struct Message(MessageKind Kind, int Signal = 0, IPostedRequest? Request = null);

/// <summary>A small blocking queue: the reaper, signal handlers and requests (the control plane's connections) post, the supervisor's
/// thread takes.</summary>
internal sealed class Inbox
{
    private readonly Queue<Message> _queue = new();

    public void Post(Message m)
    {
        lock (_queue)
        {
            _queue.Enqueue(m);
            Monitor.Pulse(_queue);
        }
    }

    /// <summary>Takes a message, waiting at most <paramref name="timeoutMs"/> (-1: forever).</summary>
    public bool TryTake(out Message m, int timeoutMs)
    {
        lock (_queue)
        {
            if (_queue.Count == 0 && timeoutMs != 0) Monitor.Wait(_queue, timeoutMs);
            return _queue.TryDequeue(out m);
        }
    }
}
