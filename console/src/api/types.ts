// Shapes of the /api/v1 answers the console reads (checked against the OpenAPI document's
// examples by the browser tests, which drive these screens against the real API).
export interface Me {
  id: number
  username: string
  role: 'admin' | 'district_staff' | 'street_staff' | 'grid_worker'
  areas: string[]
}

export interface AreaProps {
  code: string
  name: string
  level: 'district' | 'street' | 'community' | 'grid'
  parent: string | null
  children?: string[]
  grid_type?: string | null
}

export interface Feature<P = Record<string, unknown>> {
  type: 'Feature'
  id?: string
  geometry: GeoJSON.Geometry
  properties: P
}

export interface FeatureCollection<P = Record<string, unknown>> {
  type: 'FeatureCollection'
  features: Feature<P>[]
  as_of?: string
}

export type Values = Record<string, number | Record<string, number>>

export interface StatsAnswer {
  area: { code: string; name: string; level: string }
  as_of: string
  by?: string
  total: Values
  children?: { code: string; name: string; values: Values }[]
}

export interface SeriesAnswer {
  area: { code: string; name: string }
  points: { month: string; as_of: string; population: number; residents: number; floating: number }[]
}

export interface Person {
  id: number
  id_number: string
  id_kind: string
  name: string
  sex: string
  sex_mismatch: boolean
  birth_year: number
  ethnicity: string | null
  phone: string | null
  kind: 'resident' | 'floating'
  house: string | null
  grid: string
  origin_code: string | null
  inflow_reason: string | null
  arrival_date: string | null
  special_concern: boolean
  details: Record<string, unknown> | null
  version: number
}

export interface Rental {
  landlord_name: string
  landlord_id_number: string
  landlord_phone: string | null
  landlord_address: string | null
  rental_use: string
  rented_area: string | null
  hazards: string[]
  registered_on: string | null
}

export interface House {
  code: string
  community: string
  grid: string
  compound: string
  building: string
  unit: string
  floor: number
  room: string
  use: string
  structure: string | null
  floor_area: string | null
  owner_name: string | null
  owner_id_number: string | null
  rented: boolean
  version: number
  location: [number, number]
  rental?: Rental
}

export interface Room {
  code: string
  room: string
  status: 'vacant' | 'occupied' | 'rented' | 'overcrowded' | 'hazard'
  occupants: number
  rented: boolean
  hazards: string[]
}

export interface BuildingGrid {
  code: string
  community: string
  compound: string
  building: string
  units: string[]
  floors: { floor: number; units: { unit: string; rooms: Room[] }[] }[]
  counts: Record<Room['status'], number>
}

export interface BuildingRow {
  code: string
  compound: string
  building: string
  rooms: number
  floors: number
  rented: number
  overcrowded: number
  vacant: number
}

export interface ConflictField {
  field: string
  ours: unknown
  theirs: unknown
}

export interface Conflict {
  id: number
  entity_type: string
  entity_key: string
  grid?: string
  fields: ConflictField[]
  created_at?: string
  [k: string]: unknown
}
