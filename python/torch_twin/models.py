"""The task models as torch.nn modules, with the weight names of rnnkit's
tf.LayersModel (`rnn-export --format safetensors` / src/interop/torch_state_dict.ts):
`<layer>.weight_ih_l0`, `<dense>.weight`, `<embedding>.weight`, ...

Padding is id 0 and trailing. The recurrent layers run on packed sequences, so a
padded step carries the state and emits zeros and the reverse direction starts at
each sequence's last real step, as rnnkit's masked layers do.
"""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_CELLS = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}


def recurrent(cell, input_size, hidden, layers=1, bidirectional=False, dropout=0.0):
    if cell not in _CELLS:
        raise ValueError(f"cell '{cell}' has no PyTorch twin (lstm, gru, rnn)")
    return _CELLS[cell](input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                        dropout=dropout if layers > 1 else 0.0, batch_first=True)


def run_recurrent(rnn, x, lengths, sequences):
    """[B, T, F] with real lengths -> [B, T, dirs*H] (sequences) or the last states [B, dirs*H].
    A row of length 0 gives zeros (its state never moves from the zero initial state)."""
    safe = lengths.clamp(min=1).cpu()
    packed = pack_padded_sequence(x, safe, batch_first=True, enforce_sorted=False)
    out, h = rnn(packed)
    keep = (lengths > 0).to(x.dtype)
    if sequences:
        y, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return y * keep[:, None, None]
    if isinstance(h, tuple):
        h = h[0]
    last = torch.cat([h[-2], h[-1]], dim=-1) if rnn.bidirectional else h[-1]
    return last * keep[:, None]


class SentimentNet(nn.Module):
    """token_ids [B, T] -> embedding -> dropout -> (bi)recurrent stack -> last state or
    masked max/mean pooling -> dropout -> classifier logits [B, K] (tasks/sentiment/model.ts)."""

    def __init__(self, spec):
        super().__init__()
        m = spec['model']
        self.pooling = m['pooling']
        self.embedding = nn.Embedding(m['vocabSize'], m['embeddingDim'])
        self.embedding_dropout = nn.Dropout(m['dropout'])
        self.encoder = recurrent(m['cell'], m['embeddingDim'], m['hidden'], m['layers'], m['bidirectional'], m['dropout'])
        self.features_dropout = nn.Dropout(m['dropout'])
        dirs = 2 if m['bidirectional'] else 1
        self.classifier = nn.Linear(dirs * m['hidden'], m['numClasses'])

    input_names = ('token_ids',)

    def forward(self, token_ids):
        mask = token_ids != 0
        lengths = mask.sum(1)
        x = self.embedding_dropout(self.embedding(token_ids))
        if self.pooling == 'last':
            f = run_recurrent(self.encoder, x, lengths, False)
        else:
            y = run_recurrent(self.encoder, x, lengths, True)
            m = mask[:, :, None].to(y.dtype)
            if self.pooling == 'mean':
                f = (y * m).sum(1) / m.sum(1).clamp(min=1)
            else:
                f = (y + (m - 1) * 1e9).max(1).values
        return self.classifier(self.features_dropout(f))


class PosTagger(nn.Module):
    """word_ids [B, T] (+ char_ids [N, L] of the batch's distinct words, row 0 all padding,
    and word_rows [B, T]) -> word embedding ++ character BiRNN features -> dropout ->
    stacked BiRNN -> dropout -> tag_logits [B, T, K] (tasks/pos/model.ts)."""

    def __init__(self, spec):
        super().__init__()
        m = spec['model']
        self.with_chars = m['charDim'] > 0
        self.word_embedding = nn.Embedding(m['words'], m['wordDim'])
        features = m['wordDim']
        if self.with_chars:
            self.char_embedding = nn.Embedding(m['chars'], m['charDim'])
            self.char_encoder = recurrent(m['cell'], m['charDim'], m['charHidden'], 1, True)
            features += 2 * m['charHidden']
        self.features_dropout = nn.Dropout(m['dropout'])
        self.encoder = recurrent(m['cell'], features, m['hidden'], m['layers'], True, m['dropout'])
        self.encoder_dropout = nn.Dropout(m['dropout'])
        self.tag_logits = nn.Linear(2 * m['hidden'], m['tags'])

    @property
    def input_names(self):
        return ('word_ids', 'char_ids', 'word_rows') if self.with_chars else ('word_ids',)

    def forward(self, word_ids, char_ids=None, word_rows=None):
        lengths = (word_ids != 0).sum(1)
        x = self.word_embedding(word_ids)
        if self.with_chars:
            c = self.char_embedding(char_ids)
            per_row = run_recurrent(self.char_encoder, c, (char_ids != 0).sum(1), False)  # [N, 2C]
            x = torch.cat([x, per_row[word_rows]], dim=-1)
        y = run_recurrent(self.encoder, self.features_dropout(x), lengths, True)
        return self.tag_logits(self.encoder_dropout(y))


MODELS = {'sentiment': SentimentNet, 'pos': PosTagger}


def build(spec):
    if spec['task'] not in MODELS:
        raise ValueError(f"no PyTorch twin for task '{spec['task']}' ({', '.join(MODELS)})")
    return MODELS[spec['task']](spec)
