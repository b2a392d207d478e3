import type { ComponentType } from 'react'

/** One page of the app: the navigation shows `title`, the route is `#/<id>`. */
export interface Feature {
  id: string
  title: string
  component: ComponentType
}
