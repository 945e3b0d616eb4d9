/**
 * Evaluation metrics: the classification report against counts worked by hand (scikit-learn's
 * conventions, zero_division=0), BLEU against nltk's corpus_bleu and sentence_bleu (Debian's
 * python3-nltk, run by /usr/bin/python3), ROUGE-L against hand-counted LCS and an independent LCS
 * in Python, exact match, perplexity, the one `evaluate` entry point, and errors that name the values.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bleu,
  classificationReport,
  classify,
  confusionMatrix,
  evaluate,
  exactMatch,
  exactMatches,
  lcsLength,
  metricValue,
  normalizeAnswer,
  perplexity,
  rougeL,
  sentenceBleu,
  wordTokens,
  type BleuOptions
} from '../../kernel-lib/src/eval';
import { seededRandom } from '../../kernel-lib/src/random';

/** Runs a Python script under Debian's python3 (which has nltk) with `input` as JSON on stdin. */
function python<T>(script: string, input: unknown): T {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' }));
}

const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b)).toBeLessThan(tol);

describe('classification report', () => {
  // 3 classes, 10 examples:
  //   yTrue 0 0 0 0 1 1 1 2 2 2
  //   yPred 0 0 1 2 1 1 0 2 2 1
  const yTrue = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
  const yPred = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
  const labels = ['cat', 'dog', 'bird'];

  it('the confusion matrix counts [true][predicted] pairs', () => {
    // true 0 -> predicted 0, 0, 1, 2; true 1 -> 1, 1, 0; true 2 -> 2, 2, 1
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 1],
      [1, 2, 0],
      [0, 1, 2]
    ]);
    expect(confusionMatrix(Int32Array.from(yTrue), Float64Array.from(yPred), 4)).toEqual([
      [2, 1, 1, 0],
      [1, 2, 0, 0],
      [0, 1, 2, 0],
      [0, 0, 0, 0]
    ]);
  });

  it('accuracy, per-class precision / recall / F1 / support, macro and weighted averages match the hand computation', () => {
    const r = classify(yTrue, yPred, labels);
    // columns (predicted) 3, 4, 3; rows (support) 4, 3, 3; diagonal 2, 2, 2
    close(r.accuracy, 6 / 10);
    expect(r.total).toBe(10);
    expect(r.labels).toEqual(labels);
    // cat:  P = 2/3, R = 2/4, F1 = 2·2 / (3 + 4) = 4/7
    // dog:  P = 2/4, R = 2/3, F1 = 4 / (4 + 3) = 4/7
    // bird: P = 2/3, R = 2/3, F1 = 4 / (3 + 3) = 2/3
    const expected = [
      { label: 'cat', precision: 2 / 3, recall: 1 / 2, f1: 4 / 7, support: 4 },
      { label: 'dog', precision: 1 / 2, recall: 2 / 3, f1: 4 / 7, support: 3 },
      { label: 'bird', precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 }
    ];
    r.perClass.forEach((s, i) => {
      expect(s.label).toBe(expected[i].label);
      expect(s.support).toBe(expected[i].support);
      close(s.precision, expected[i].precision);
      close(s.recall, expected[i].recall);
      close(s.f1, expected[i].f1);
    });
    // macro: P = (2/3 + 1/2 + 2/3) / 3 = 11/18, R = (1/2 + 2/3 + 2/3) / 3 = 11/18,
    //        F1 = (4/7 + 4/7 + 2/3) / 3 = 38/63 (the mean of the F1s, not the F1 of the means)
    close(r.macro.precision, 11 / 18);
    close(r.macro.recall, 11 / 18);
    close(r.macro.f1, 38 / 63);
    // weighted by support 4, 3, 3: P = (4·2/3 + 3·1/2 + 3·2/3) / 10 = 37/60,
    //   R = (4·1/2 + 3·2/3 + 3·2/3) / 10 = 6/10 (always the accuracy), F1 = (4·4/7 + 3·4/7 + 3·2/3) / 10 = 6/10
    close(r.weighted.precision, 37 / 60);
    close(r.weighted.recall, 6 / 10);
    close(r.weighted.f1, 6 / 10);
  });

  it('zero division gives 0 (scikit-learn zero_division=0); classes absent from the data still count in the macro average', () => {
    // labels a b c d e; yTrue 0 0 1 2, yPred 0 3 1 0:
    //   c is never predicted (precision 0/0 -> 0), d is predicted once but never true (recall 0/0 -> 0),
    //   e neither appears nor is predicted (0, 0, 0, support 0)
    const r = classify([0, 0, 1, 2], [0, 3, 1, 0], ['a', 'b', 'c', 'd', 'e']);
    expect(r.confusion).toEqual([
      [1, 0, 0, 1, 0],
      [0, 1, 0, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0]
    ]);
    // a: P = 1/2, R = 1/2, F1 = 1/2; b: 1, 1, 1; c: 0, 0/1 = 0, 0; d: 0/1 = 0, 0, 0; e: 0, 0, 0
    expect(r.perClass.map(s => [s.precision, s.recall, s.f1, s.support])).toEqual([
      [0.5, 0.5, 0.5, 2],
      [1, 1, 1, 1],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
      [0, 0, 0, 0]
    ]);
    close(r.accuracy, 2 / 4);
    // macro over all 5 labels: (0.5 + 1 + 0 + 0 + 0) / 5 = 0.3 for P, R and F1
    close(r.macro.precision, 0.3);
    close(r.macro.recall, 0.3);
    close(r.macro.f1, 0.3);
    // weighted by support 2, 1, 1, 0, 0: (2·0.5 + 1·1) / 4 = 0.5
    close(r.weighted.precision, 0.5);
    close(r.weighted.recall, 0.5);
    close(r.weighted.f1, 0.5);
  });

  it('classificationReport of a confusion matrix equals classify of the labels it counts, and copies its inputs', () => {
    const confusion = confusionMatrix(yTrue, yPred, 3);
    const report = classificationReport(confusion, labels);
    expect(report).toEqual(classify(yTrue, yPred, labels));
    confusion[0][0] = 100;
    expect(report.confusion[0][0]).toBe(2);
  });

  it('bad inputs: errors name the index, the value, the range and the labels', () => {
    const eight = [0, 1, 2, 3, 0, 1, 2, 3];
    expect(() => classify(eight, [0, 1, 2, 3, 0, 1, 2, 5], ['a', 'b', 'c', 'd'])).toThrow(
      'yPred[7] = 5 is not a class index in [0, 4) (labels: a, b, c, d)'
    );
    expect(() => confusionMatrix([0, -1], [0, 1], 2)).toThrow('yTrue[1] = -1 is not a class index in [0, 2)');
    expect(() => confusionMatrix([0, 1], [NaN, 1], 2)).toThrow('yPred[0] = NaN is not a class index in [0, 2)');
    expect(() => confusionMatrix([0, 1.5], [0, 1], 2)).toThrow('yTrue[1] = 1.5 is not a class index in [0, 2)');
    expect(() => confusionMatrix([0, 1, 1], [0, 1], 2)).toThrow('yTrue has 3 labels but yPred has 2');
    expect(() => confusionMatrix([], [], 2)).toThrow('yTrue and yPred are empty');
    expect(() => confusionMatrix([0], [0], 0)).toThrow('numClasses (0) must be a positive integer');
    expect(() => classify([0], [0], [])).toThrow('labels is empty');
    expect(() => classificationReport([[1, 2], [3, 4, 5]], ['a', 'b'])).toThrow('row 1 has 3 columns, but there are 2 rows');
    expect(() => classificationReport([], [])).toThrow('the confusion matrix is empty');
    expect(() => classificationReport([[1, 2], [3, 4]], ['a', 'b', 'c'])).toThrow('labels has 3 names (a, b, c) but the confusion matrix has 2 classes');
    expect(() => classificationReport([[1, NaN], [3, 4]], ['a', 'b'])).toThrow('confusion[0][1] = NaN is not a count');
    expect(() => classificationReport([[1, 0], [-2, 4]], ['a', 'b'])).toThrow('confusion[1][0] = -2 is not a count');
    expect(() => classificationReport([[0, 0], [0, 0]], ['a', 'b'])).toThrow('holds no examples');
  });
});

// ---- BLEU against nltk

interface BleuCase {
  name: string;
  candidates: string[][];
  references: string[][][];
}

const t = (s: string) => s.split(' ');
const bleuCases: BleuCase[] = [
  {
    // the example of nltk's and Papineni's papers: long candidates, three references each
    name: 'two candidates, several references each',
    candidates: [
      t('It is a guide to action which ensures that the military always obeys the commands of the party'),
      t('he read the book because he was interested in world history')
    ],
    references: [
      [
        t('It is a guide to action that ensures that the military will forever heed Party commands'),
        t('It is the guiding principle which guarantees the military forces always being under the command of the Party'),
        t('It is the practical guide for the army always to heed the directions of the party')
      ],
      [t('he was interested in world history because he read the book')]
    ]
  },
  {
    // candidates shorter than their references (brevity penalty), one shorter than 4 tokens
    name: 'short candidates',
    candidates: [t('the cat sat'), t('on the mat the cat sat'), t('a dog')],
    references: [
      [t('the cat sat on the mat'), t('a cat was sitting on the mat')],
      [t('the cat sat on the mat today'), t('there was a cat on the mat')],
      [t('a dog barked at the cat'), t('the dog barked')]
    ]
  },
  {
    // "the" seven times: each reference has it at most twice, so matches are clipped to 2
    name: 'n-gram clipping',
    candidates: [t('the the the the the the the'), t('the cat the cat the cat on the mat')],
    references: [
      [t('the cat is on the mat'), t('there is a cat on the mat')],
      [t('the cat is on the mat'), t('the cat the dog')]
    ]
  },
  {
    // candidate length 5, references 4 and 6: a tie, the shorter (4) is the closest length
    name: 'a tie in closest reference length, longer candidates (no penalty)',
    candidates: [t('one two three four five'), t('a b c d e f g h')],
    references: [
      [t('one two three six seven eight'), t('one two three four')],
      [t('a b c d x f'), t('a b c d e f g')]
    ]
  },
  {
    name: 'no unigram in common',
    candidates: [t('x y z')],
    references: [[t('a b c')]]
  },
  {
    // the tokens of the evaluate('generation') example below
    name: 'evaluate example',
    candidates: [['paris', '.'], t('the cat sat on a mat')],
    references: [[['paris']], [t('a dog sat .'), t('the cat sat on the mat')]]
  }
];

const bleuSettings: { name: string; options: BleuOptions; weights: number[] }[] = [
  { name: 'BLEU-4', options: {}, weights: [0.25, 0.25, 0.25, 0.25] },
  { name: 'BLEU-4 add-one', options: { smoothing: 'add-one' }, weights: [0.25, 0.25, 0.25, 0.25] },
  { name: 'BLEU-2', options: { maxN: 2 }, weights: [0.5, 0.5] },
  { name: 'weights 0.5 0.3 0.2 add-one', options: { weights: [0.5, 0.3, 0.2], smoothing: 'add-one' }, weights: [0.5, 0.3, 0.2] }
];

interface NltkResult {
  bleu: number;
  sentence: number[];
  matches: number[];
  counts: number[];
  brevityPenalty: number;
  ratio: number;
}

const NLTK_BLEU = `
import json, sys, warnings
warnings.simplefilter('ignore')  # nltk warns on every zero n-gram precision
from nltk.translate.bleu_score import (SmoothingFunction, brevity_penalty, closest_ref_length,
    corpus_bleu, modified_precision, sentence_bleu)
out = []
for job in json.load(sys.stdin):
    hyps, refs, weights = job['candidates'], job['references'], tuple(job['weights'])
    smooth = SmoothingFunction().method2 if job['smoothing'] == 'add-one' else None
    matches, counts = [0] * len(weights), [0] * len(weights)
    for h, rs in zip(hyps, refs):
        for n in range(1, len(weights) + 1):
            p = modified_precision(rs, h, n)
            matches[n - 1] += p.numerator
            counts[n - 1] += p.denominator
    c = sum(len(h) for h in hyps)
    r = sum(closest_ref_length(rs, len(h)) for h, rs in zip(hyps, refs))
    out.append({'bleu': corpus_bleu(refs, hyps, weights, smooth),
                'sentence': [sentence_bleu(rs, h, weights, smooth) for h, rs in zip(hyps, refs)],
                'matches': matches, 'counts': counts, 'brevityPenalty': brevity_penalty(r, c), 'ratio': c / r})
print(json.dumps(out))
`;

/** Every case under every setting, and nltk's numbers for each (one Python run, in beforeAll). */
const jobs = bleuSettings.flatMap(setting => bleuCases.map(c => ({ ...c, setting })));
let nltk: NltkResult[] = [];
beforeAll(() => {
  nltk = python<NltkResult[]>(
    NLTK_BLEU,
    jobs.map(j => ({ candidates: j.candidates, references: j.references, weights: j.setting.weights, smoothing: j.setting.options.smoothing ?? 'none' }))
  );
});

describe('BLEU against nltk corpus_bleu / sentence_bleu', () => {

  it.each(bleuSettings.map(s => [s.name, s] as const))('%s: corpus BLEU, precisions, brevity penalty and ratio equal nltk to 1e-9 on every corpus', (_, setting) => {
    jobs.forEach((job, k) => {
      if (job.setting !== setting) return;
      const ours = bleu(job.candidates, job.references, setting.options);
      const ref = nltk[k];
      close(ours.bleu, ref.bleu, 1e-9);
      close(ours.brevityPenalty, ref.brevityPenalty, 1e-12);
      close(ours.ratio, ref.ratio, 1e-12);
      const addOne = setting.options.smoothing === 'add-one';
      const expected = ref.matches.map((m, n) => (addOne && n > 0 ? (m + 1) / (ref.counts[n] + 1) : m / ref.counts[n]));
      expect(ours.precisions).toHaveLength(setting.weights.length);
      ours.precisions.forEach((p, n) => close(p, expected[n], 1e-12));
    });
  });

  it.each(bleuSettings.map(s => [s.name, s] as const))('%s: sentence BLEU of every candidate equals nltk sentence_bleu to 1e-9', (_, setting) => {
    jobs.forEach((job, k) => {
      if (job.setting !== setting) return;
      job.candidates.forEach((c, i) => close(sentenceBleu(c, job.references[i], setting.options), nltk[k].sentence[i], 1e-9));
    });
  });

  it('the cases exercise what they claim: a brevity penalty < 1, clipping, a zero 4-gram precision, a tie, BLEU 0', () => {
    const [papineni, short, clipping, tie, disjoint] = bleuCases.map(c => bleu(c.candidates, c.references));
    expect(papineni.bleu).toBeGreaterThan(0.3);
    // 3 + 6 + 2 = 11 candidate tokens against closest references 6 + 7 + 3 = 16: BP = exp(1 - 16/11)
    close(short.brevityPenalty, Math.exp(1 - 16 / 11));
    // 7 "the" clipped to 2 matches; "the cat the cat the cat on the mat": "the" 4 clipped to 2 (no
    // reference has more), "cat" 3 clipped to 1, "on", "mat": 5 matches of 9
    close(clipping.precisions[0], (2 + 5) / (7 + 9));
    // (5 + 8 tokens) vs (4 + 7): no penalty; ratio 13/11
    expect(tie.brevityPenalty).toBe(1);
    close(tie.ratio, 13 / 11);
    expect(disjoint.bleu).toBe(0);
    // 'none' smoothing: a zero 4-gram precision makes BLEU exactly 0 (nltk: a tiny positive number)
    const zero4 = bleu([t('a b c d')], [[t('a b c x d')]]);
    expect(zero4.precisions[3]).toBe(0);
    expect(zero4.bleu).toBe(0);
    expect(bleu([t('a b c d')], [[t('a b c x d')]], { smoothing: 'add-one' }).bleu).toBeGreaterThan(0);
  });

  it('bad inputs: errors name the mismatch', () => {
    expect(() => bleu([t('a b')], [])).toThrow('candidates has 1 texts but references has 0 lists');
    expect(() => bleu([], [])).toThrow('candidates and references are empty');
    expect(() => bleu([t('a b')], [[]])).toThrow('references[0] must be a non-empty list of token arrays');
    expect(() => bleu(['a b' as unknown as string[]], [[t('a b')]])).toThrow('candidates[0] is a string; BLEU takes token arrays');
    expect(() => bleu([t('a')], [[t('a')]], { maxN: 3, weights: [0.5, 0.5] })).toThrow('weights has 2 entries (0.5, 0.5) but maxN is 3');
    expect(() => bleu([t('a')], [[t('a')]], { maxN: 0 })).toThrow('maxN (0) must be a positive integer');
    expect(() => bleu([t('a')], [[t('a')]], { weights: [0.5, NaN] })).toThrow('weights[1] = NaN must be a finite number >= 0');
    expect(() => bleu([t('a')], [[t('a')]], { smoothing: 'floor' as 'none' })).toThrow("smoothing 'floor' is not 'none' or 'add-one'");
  });
});

describe('ROUGE-L', () => {
  it('hand-counted LCS: precision = LCS/|candidate|, recall = LCS/|reference|, F with beta', () => {
    // Lin's example: reference "police killed the gunman"
    // "police kill the gunman": LCS "police the gunman" = 3 -> P = R = F = 3/4
    const ref = t('police killed the gunman');
    expect(rougeL(t('police kill the gunman'), ref)).toEqual({ precision: 0.75, recall: 0.75, f: 0.75 });
    // "the gunman kill police": LCS "the gunman" = 2 -> 1/2
    expect(rougeL(t('the gunman kill police'), ref)).toEqual({ precision: 0.5, recall: 0.5, f: 0.5 });
    // candidate of 7, reference of 6, LCS "the cat was under the bed" = 6: P = 6/7, R = 1,
    //   F1 = 2·(6/7)·1 / (6/7 + 1) = 12/13; beta = 2: F = 5·(6/7) / (1 + 4·6/7) = 30/31
    const cand = t('the cat was found under the bed');
    const bed = t('the cat was under the bed');
    const r = rougeL(cand, bed);
    close(r.precision, 6 / 7);
    expect(r.recall).toBe(1);
    close(r.f, 12 / 13);
    close(rougeL(cand, bed, { beta: 2 }).f, 30 / 31);
    // nothing in common, or an empty side: all 0
    expect(rougeL(t('x y'), bed)).toEqual({ precision: 0, recall: 0, f: 0 });
    expect(rougeL([], bed)).toEqual({ precision: 0, recall: 0, f: 0 });
    expect(() => rougeL(cand, bed, { beta: 0 })).toThrow('beta (0) must be a finite number > 0');
  });

  it('LCS length equals an independent recursive LCS in Python on 40 random token sequences', () => {
    const random = seededRandom(7);
    const seq = () => Array.from({ length: Math.floor(random() * 12) }, () => 'abcd'[Math.floor(random() * 4)]);
    const pairs = Array.from({ length: 40 }, () => [seq(), seq()]);
    const expected = python<number[]>(
      `
import json, sys
from functools import lru_cache
def lcs(a, b):
    @lru_cache(maxsize=None)
    def f(i, j):  # LCS of the suffixes a[i:], b[j:]
        if i == len(a) or j == len(b):
            return 0
        return 1 + f(i + 1, j + 1) if a[i] == b[j] else max(f(i + 1, j), f(i, j + 1))
    return f(0, 0)
print(json.dumps([lcs(tuple(a), tuple(b)) for a, b in json.load(sys.stdin)]))
`,
      pairs
    );
    expect(pairs.map(([a, b]) => lcsLength(a, b))).toEqual(expected);
    expect(expected.some(n => n >= 4)).toBe(true);
  });
});

describe('exact match, tokens, perplexity', () => {
  it('exact match normalizes case, spaces and final punctuation by default, and compares raw strings without', () => {
    const predictions = ['Paris.', '  the  Eiffel\ttower ', '42', 'Rome'];
    const references = ['paris', 'The Eiffel Tower', '42', 'Roma'];
    expect(exactMatches(predictions, references)).toEqual([true, true, true, false]);
    expect(exactMatch(predictions, references)).toBe(0.75);
    expect(exactMatch(predictions, references, { normalize: false })).toBe(0.25);
    // several acceptable answers: a match with any counts
    expect(exactMatches(['Paris, France', 'Lyon'], [['paris', 'Paris, France!'], ['Marseille']])).toEqual([true, false]);
    expect(normalizeAnswer(' Hello,   World?! ')).toBe('hello, world');
    expect(() => exactMatch(['a'], ['a', 'b'])).toThrow('predictions has 1 texts but references has 2');
    expect(() => exactMatch([], [])).toThrow('predictions and references are empty');
    expect(() => exactMatch(['a'], [[]])).toThrow('references[0] is an empty list');
  });

  it('wordTokens lowercases and splits words from punctuation, keeping inner apostrophes', () => {
    expect(wordTokens("Don't stop, Bob!")).toEqual(["don't", 'stop', ',', 'bob', '!']);
    expect(wordTokens('  Café au lait: 3.5 €  ')).toEqual(['café', 'au', 'lait', ':', '3', '.', '5', '€']);
    expect(wordTokens('   ')).toEqual([]);
  });

  it('perplexity is exp of the mean loss in nats, and refuses a loss that is not finite or is negative', () => {
    expect(perplexity(0)).toBe(1);
    close(perplexity(Math.log(50)), 50, 1e-9);
    expect(() => perplexity(NaN)).toThrow('meanNats (NaN) must be a finite mean cross-entropy >= 0');
    expect(() => perplexity(Infinity)).toThrow('meanNats (Infinity) must be');
    expect(() => perplexity(-0.5)).toThrow('meanNats (-0.5) must be');
  });
});

describe('evaluate', () => {
  it("'classification' returns classify's report; metricValue picks accuracy and the macro averages", () => {
    const input = { yTrue: [0, 1, 1, 0], yPred: [0, 1, 0, 0], labels: ['no', 'yes'] };
    const report = evaluate('classification', input);
    expect(report).toEqual(classify(input.yTrue, input.yPred, input.labels));
    expect(metricValue(report, 'accuracy')).toBe(0.75);
    // no: P = 2/3, R = 1 -> F1 = 4/5; yes: P = 1, R = 1/2 -> F1 = 2/3; macro F1 = (4/5 + 2/3) / 2 = 11/15
    close(metricValue(report, 'f1'), 11 / 15);
    close(metricValue(report, 'precision'), 5 / 6);
    expect(() => metricValue(report, 'bleu')).toThrow("metric 'bleu' is not one of a classification report");
  });

  it("'generation' returns exact match, corpus BLEU and mean best ROUGE-L F over wordTokens", () => {
    const predictions = ['Paris.', 'The cat sat on a mat'];
    const references = [['paris'], ['A dog sat.', 'The cat sat on the mat']];
    const scores = evaluate('generation', { predictions, references });
    expect(scores.count).toBe(2);
    expect(scores.matches).toEqual([true, false]);
    expect(scores.exactMatch).toBe(0.5);
    // ["paris", "."] vs ["paris"]: P = 1/2, R = 1, F = 2/3
    // "the cat sat on a mat" vs "the cat sat on the mat": LCS 5, F = 5/6 (better than "a dog sat .": 1/5)
    close(scores.rougeL, (2 / 3 + 5 / 6) / 2);
    // these tokens are the 'evaluate example' BLEU case: its BLEU-4 is nltk's
    const k = jobs.findIndex(j => j.name === 'evaluate example' && j.setting.name === 'BLEU-4');
    expect(predictions.map(wordTokens)).toEqual(jobs[k].candidates);
    expect(references.map(rs => rs.map(wordTokens))).toEqual(jobs[k].references);
    expect(scores.bleu).toBeGreaterThan(0);
    close(scores.bleu, nltk[k].bleu, 1e-9);
    expect(metricValue(scores, 'rouge_l')).toBe(scores.rougeL);
    expect(metricValue(scores, 'exact_match')).toBe(0.5);
    expect(() => metricValue(scores, 'f1')).toThrow("metric 'f1' is not one of generated text");
    // one reference per prediction as plain strings
    expect(evaluate('generation', { predictions: ['a b', 'c'], references: ['A B', 'd'] }).matches).toEqual([true, false]);
    expect(() => evaluate('regression' as 'generation', { predictions, references })).toThrow("kind 'regression' is not 'classification' or 'generation'");
  });
});
