namespace FileVault.Core.Media;

/// <summary>
/// The decode slots of one process (<see cref="MediaOptions.MaxConcurrentGenerations"/>), shared by requests — a page
/// waiting for its tiles, the viewer — and the background queue. A freed slot goes to a waiting request before any
/// background work, so a scan that queued a hundred thousand photos keeps a browsing user waiting for at most the decodes
/// already under way, never behind the queue.
/// </summary>
internal sealed class GenerationGate(int slots)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Ticket> _requests = new();
    private readonly LinkedList<Ticket> _background = new();
    private int _free = slots;

    /// <summary>Asks for a slot; await <see cref="Ticket.Entered"/>, and dispose the ticket once the decode is done.</summary>
    public Ticket Enter(bool background)
    {
        var ticket = new Ticket(this, background);
        lock (_lock)
        {
            if (_free > 0 && (!background || _requests.Count == 0))
            {
                _free--;
                ticket.Grant();
            }
            else
            {
                ticket.Node = (background ? _background : _requests).AddLast(ticket);
            }
        }

        return ticket;
    }

    /// <summary>A request now waits for what a background ticket is making: it moves to the requests' line.</summary>
    private void Promote(Ticket ticket)
    {
        lock (_lock)
        {
            if (ticket.Node is { } node && node.List == _background)
            {
                _background.Remove(node);
                ticket.Node = _requests.AddLast(ticket);
            }
        }
    }

    private void Release(Ticket ticket)
    {
        lock (_lock)
        {
            if (ticket.Node is { } waiting)
            {
                // Given up before its turn (never happens today: decodes are not cancelled while they wait).
                waiting.List!.Remove(waiting);
                ticket.Node = null;
                return;
            }

            var next = _requests.First ?? _background.First;
            if (next is null)
            {
                _free++;
                return;
            }

            next.List!.Remove(next);
            next.Value.Node = null;
            next.Value.Grant();
        }
    }

    public sealed class Ticket : IDisposable
    {
        private readonly GenerationGate _gate;
        private readonly TaskCompletionSource _granted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _disposed;

        internal Ticket(GenerationGate gate, bool background)
        {
            _gate = gate;
            Background = background;
        }

        public bool Background { get; }

        internal LinkedListNode<Ticket>? Node { get; set; }

        public Task Entered => _granted.Task;

        internal void Grant() => _granted.TrySetResult();

        public void Promote() => _gate.Promote(this);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _gate.Release(this);
            }
        }
    }
}
