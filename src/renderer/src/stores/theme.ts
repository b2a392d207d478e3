import { create } from 'zustand'

export type Theme = 'light' | 'dark'
const KEY = 'pitwall.theme'

function initial(): Theme {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved === 'light' || saved === 'dark') return saved
  } catch {
    /* storage disabled */
  }
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

function apply(theme: Theme): void {
  document.documentElement.dataset.theme = theme
}

/** Light/dark theme, remembered in localStorage (per browser / per desktop profile). */
export const useTheme = create<{ theme: Theme; set(t: Theme): void; toggle(): void }>((set, get) => {
  const theme = initial()
  apply(theme)
  const choose = (t: Theme) => {
    apply(t)
    try {
      localStorage.setItem(KEY, t)
    } catch {
      /* storage disabled: the choice lasts this session */
    }
    set({ theme: t })
  }
  return { theme, set: choose, toggle: () => choose(get().theme === 'dark' ? 'light' : 'dark') }
})
